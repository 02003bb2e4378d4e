import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customers, notices, type ConsentChannel } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type ApiKeyActor } from "@/lib/actor";
import { ValidationError } from "@/lib/errors";
import { MAX_BATCH_CHECKS, checkConsent, checkConsents, decideConsent, purposeByKey, type ConsentFacts, type LatestConsent } from "./check";
import { contactPointHash } from "./hashing";
import { appendConsentEvent } from "./ledger";
import { recordExternalConsent } from "./record";

describe("decideConsent: the one rule behind every check", () => {
  const tenantId = "00000000-0000-4000-8000-0000000000aa";
  const at = new Date("2030-06-01T12:00:00Z");
  const customer = { status: "active" as const, restricted: false, email: "ann@example.com", phone: "+447911123456" };
  const grant: LatestConsent = { status: "granted", eventId: "e1", since: new Date("2030-01-01T00:00:00Z"), validUntil: null, contactPointHash: contactPointHash(tenantId, "ann@example.com") };
  const facts = (over: Partial<ConsentFacts> = {}): ConsentFacts => ({ tenantId, customer, purpose: { reviewIntervalDays: null }, channel: "email", latest: grant, at, ...over });

  it("allows only a grant, and says why in every other case, least permissive first", () => {
    expect(decideConsent(facts())).toEqual({ allowed: true, reason: "granted", eventId: "e1", since: "2030-01-01T00:00:00.000Z", validUntil: null, reviewDue: false });
    expect(decideConsent(facts({ customer: null }))).toMatchObject({ allowed: false, reason: "unknown_customer", eventId: null });
    // Erased beats restricted, which beats any consent.
    expect(decideConsent(facts({ customer: { ...customer, status: "erased", restricted: true } })).reason).toBe("erased");
    expect(decideConsent(facts({ customer: { ...customer, restricted: true } }))).toMatchObject({ reason: "restricted", eventId: null });
    expect(decideConsent(facts({ latest: null })).reason).toBe("no_record");
    for (const status of ["refused", "withdrawn", "expired", "pending_confirmation", "invalidated", "objected"] as const) {
      expect(decideConsent(facts({ latest: { ...grant, status } }))).toMatchObject({ allowed: false, reason: status, eventId: "e1" });
    }
  });

  it("lets a grant lapse at its validity, before looking at the contact point", () => {
    const lapsed = { ...grant, validUntil: at, contactPointHash: "not-the-current-one" };
    expect(decideConsent(facts({ latest: lapsed }))).toMatchObject({ reason: "expired", validUntil: at.toISOString() });
    expect(decideConsent(facts({ latest: { ...lapsed, validUntil: new Date(at.getTime() + 1) } })).reason).toBe("contact_point_changed");
  });

  it("binds a grant to its contact point, and flags a review when the grant is old", () => {
    expect(decideConsent(facts({ customer: { ...customer, email: "new@example.com" } })).reason).toBe("contact_point_changed");
    expect(decideConsent(facts({ customer: { ...customer, email: null } })).reason).toBe("contact_point_changed");
    expect(decideConsent(facts({ channel: "post" })).reason).toBe("contact_point_changed"); // post has no hashed point on file
    expect(decideConsent(facts({ latest: { ...grant, contactPointHash: null }, channel: "post" })).reason).toBe("granted");
    expect(decideConsent(facts({ purpose: { reviewIntervalDays: 100 } }))).toMatchObject({ allowed: true, reviewDue: true });
    expect(decideConsent(facts({ purpose: { reviewIntervalDays: 365 } }))).toMatchObject({ allowed: true, reviewDue: false });
  });
});

describe("batch consent checks", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  let webForm: ApiKeyActor;
  let notice: string;
  const time = (hh: string) => new Date(`2030-03-01T${hh}:00:00Z`);
  const now = time("12");
  const record = (customer: string, channel: ConsentChannel, action: "grant" | "withdraw" | "refuse", when: Date) =>
    recordExternalConsent(t.db, webForm, acme, { customer, purpose: "marketing", channel, action, method: "web", notice: action === "grant" ? notice : undefined, occurredAt: when.toISOString() }, when);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    webForm = { type: "api_key", id: "00000000-0000-4000-8000-000000000002", name: "web form", tenantId: acme, scopes: ["consent:write"], ip: null };
    const [web] = await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
    notice = web!.id;
    // A grant at 09:00 withdrawn at 10:00; a standing grant; a refusal; an objection; a restricted and an erased customer.
    await record("ACME-0003", "email", "grant", time("09"));
    await record("ACME-0003", "email", "withdraw", time("10"));
    await record("ACME-0004", "email", "grant", time("09"));
    await record("ACME-0005", "post", "refuse", time("09"));
    const marketing = await purposeByKey(t.db, acme, "marketing");
    const [ann] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0006")));
    await t.db.transaction((tx) => appendConsentEvent(tx, systemActor("test"), { tenantId: acme, customerId: ann!.id, purpose: marketing, channel: "sms", action: "object", method: "verbal", occurredAt: time("09") }, time("09")));
    await record("ACME-0007", "email", "grant", time("09"));
    await t.db.update(customers).set({ restricted: true }).where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0007")));
  });
  afterAll(() => t.close());

  /** Every customer × marketing channel of the demo's acme, unknown references and globex's customers. */
  function questions() {
    const refs = [...Array.from({ length: 12 }, (_, i) => `ACME-${String(i + 1).padStart(4, "0")}`), "ACME-9999", "GLX-0001", "GLX-0002"];
    return refs.flatMap((customer) => (["email", "sms", "phone", "post"] as const).map((channel) => ({ customer, purpose: "marketing", channel })));
  }

  it("answers 10,000 checks in the order asked, each exactly as the single check answers it, now and at a past time", async () => {
    const distinct = questions();
    const checks = Array.from({ length: MAX_BATCH_CHECKS }, (_, i) => distinct[(i * 7) % distinct.length]!);
    for (const at of [undefined, time("09").toISOString().replace(".000Z", "Z"), "2030-03-01T09:30:00+00:00"]) {
      const results = await checkConsents(t.db, acme, { at, checks }, now);
      expect(results).toHaveLength(MAX_BATCH_CHECKS);
      const single = new Map<string, unknown>();
      for (const q of distinct) single.set(JSON.stringify(q), await checkConsent(t.db, acme, { ...q, at: at ? new Date(at) : undefined }, now));
      results.forEach((answer, i) => expect(answer).toEqual(single.get(JSON.stringify(checks[i]))));
    }
  });

  it("gives each reason: granted, withdrawn (and granted before it), refused, objected, restricted, no_record, unknown_customer", async () => {
    const ask = async (at?: string) => {
      const checks = [
        { customer: "ACME-0004", purpose: "marketing", channel: "email" },
        { customer: "ACME-0003", purpose: "marketing", channel: "email" },
        { customer: "ACME-0005", purpose: "marketing", channel: "post" },
        { customer: "ACME-0006", purpose: "marketing", channel: "sms" },
        { customer: "ACME-0007", purpose: "marketing", channel: "email" },
        { customer: "ACME-0004", purpose: "marketing", channel: "sms" },
        { customer: "ACME-9999", purpose: "marketing", channel: "sms" },
      ];
      return (await checkConsents(t.db, acme, { at, checks }, now)).map((r) => r.reason);
    };
    expect(await ask()).toEqual(["granted", "withdrawn", "refused", "objected", "restricted", "no_record", "unknown_customer"]);
    expect(await ask("2030-03-01T09:30:00Z")).toEqual(["granted", "granted", "refused", "objected", "restricted", "no_record", "unknown_customer"]);
    expect(await ask("2020-01-01T00:00:00Z")).toEqual(["no_record", "no_record", "no_record", "no_record", "restricted", "no_record", "unknown_customer"]);
  });

  it("never answers about another tenant's customers: they are unknown", async () => {
    const mine = await checkConsents(t.db, acme, { checks: [{ customer: "ACME-0004", purpose: "marketing", channel: "email" }] }, now);
    expect(mine[0]).toMatchObject({ allowed: true, reason: "granted" });
    const theirs = await checkConsents(t.db, globex, { checks: [{ customer: "ACME-0004", purpose: "marketing", channel: "email" }] }, now);
    expect(theirs[0]).toMatchObject({ allowed: false, reason: "unknown_customer", eventId: null });
  });

  it("reports every invalid entry with its path, and unknown purposes and unused channels", async () => {
    const refusal = (body: unknown) => checkConsents(t.db, acme, body, now).then(() => null, (e: unknown) => e as ValidationError);
    const invalid = await refusal({
      at: "yesterday",
      checks: [
        { customer: "ACME-0001", purpose: "marketing", channel: "email" },
        { customer: "", purpose: "marketing", channel: "fax" },
        { customer: "ACME-0001", purpose: "markting", channel: "email" },
        { customer: "ACME-0001", purpose: "profiling", channel: "sms" },
        "ACME-0001",
      ],
    });
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid!.fieldErrors.map((e) => e.path).sort()).toEqual(["at", "checks.1.channel", "checks.1.customer", "checks.4"]);
    // Purposes are resolved once the entries have their shape: both bad ones are named.
    const purposes = await refusal({ checks: [{ customer: "ACME-0001", purpose: "markting", channel: "email" }, { customer: "ACME-0001", purpose: "profiling", channel: "sms" }] });
    expect(purposes!.fieldErrors).toEqual([
      { path: "checks.0.purpose", message: "unknown purpose 'markting'" },
      { path: "checks.1.channel", message: "purpose 'profiling' does not use the channel 'sms'" },
    ]);
    expect((await refusal({ checks: [] }))!.fieldErrors.map((e) => e.path)).toEqual(["checks"]);
    expect((await refusal(null))!.fieldErrors.map((e) => e.path)).toEqual(["(body)"]);
    // The single check names the same fields.
    const single = await checkConsent(t.db, acme, { customer: "ACME-0001", purpose: "profiling", channel: "sms" }, now).then(() => null, (e: unknown) => e as ValidationError);
    expect(single).toBeInstanceOf(ValidationError);
    expect(single!.fieldErrors).toEqual([{ path: "channel", message: "purpose 'profiling' does not use the channel 'sms'" }]);
  });

  it("reads a well-formed batch exactly as the schema would, at the edges of its lengths", async () => {
    // The fast path for well-formed batches and batchCheckSchema must agree: same trimming, same limits.
    const answered = await checkConsents(t.db, acme, { checks: [{ customer: "  ACME-0001 ", purpose: " marketing", channel: "email", extra: true }, { customer: "X".repeat(200), purpose: "marketing", channel: "sms" }] }, now);
    expect(answered.map((r) => [r.customer, r.purpose, r.reason])).toEqual([
      ["ACME-0001", "marketing", (await checkConsent(t.db, acme, { customer: "ACME-0001", purpose: "marketing", channel: "email" }, now)).reason],
      ["X".repeat(200), "marketing", "unknown_customer"],
    ]);
    const tooLong = await checkConsents(t.db, acme, { checks: [{ customer: "X".repeat(201), purpose: "m".repeat(101), channel: "email" }, { customer: "   ", purpose: "marketing", channel: "email" }] }, now).then(
      () => null,
      (e: unknown) => e as ValidationError,
    );
    expect(tooLong!.fieldErrors.map((e) => e.path)).toEqual(["checks.0.customer", "checks.0.purpose", "checks.1.customer"]);
  });
});
