import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, notices, purposes } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { ApiKeyActor, StaffActor } from "@/lib/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { LEGAL_BASIS_LOCKED, createPurpose, publishNotice, tenantCatalogue, updatePurpose } from "./catalogue";
import { recordExternalConsent } from "./record";

const refusal = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);
const fieldsOf = (error: unknown) => {
  expect(error).toBeInstanceOf(ValidationError);
  return Object.fromEntries((error as ValidationError).fieldErrors.map((e) => [e.path, e.message]));
};

describe("the purpose and notice catalogue", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  let globex: string;
  const purposeCount = async (tenantId: string) => (await t.db.select().from(purposes).where(eq(purposes.tenantId, tenantId))).length;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t.close());

  it("refuses an invalid purpose with one message per field, writing nothing", async () => {
    const before = await purposeCount(acme);
    const error = await refusal(
      createPurpose(t.db, admin, acme, { key: "Bad Key", name: " ", legalBasis: "whim" as never, category: "", channels: [], reviewIntervalDays: "soon" as never, validForDays: "0" as never }),
    );
    const fields = fieldsOf(error);
    expect(Object.keys(fields).sort()).toEqual(["category", "channels", "key", "legalBasis", "name", "reviewIntervalDays", "validForDays"]);
    expect(fields.channels).toBe("choose at least one channel");
    expect(fields.reviewIntervalDays).toBe("must be a whole number of days");
    expect(fields.validForDays).toBe("must be at least 1 day");
    expect(await purposeCount(acme)).toBe(before);
  });

  it("creates a purpose from form values, audited, and refuses its key a second time on the key field", async () => {
    const form = { key: "surveys", name: "Customer surveys", legalBasis: "consent", category: "research", specialCategory: "false", channels: ["email", "sms"], reviewIntervalDays: "365", validForDays: "" };
    const created = await createPurpose(t.db, admin, acme, form as never);
    expect(created).toMatchObject({ key: "surveys", specialCategory: false, channels: ["email", "sms"], reviewIntervalDays: 365, validForDays: null });
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "purpose.created"), eq(auditEvents.entityId, created.id)));
    expect(audit).toMatchObject({ tenantId: acme, actorId: admin.id, outcome: "success" });
    expect(fieldsOf(await refusal(createPurpose(t.db, admin, acme, form as never)))).toEqual({ key: "a purpose with the key 'surveys' already exists" });
    // Keys are per tenant: globex may have its own.
    await expect(createPurpose(t.db, admin, globex, form as never)).resolves.toMatchObject({ key: "surveys", tenantId: globex });
  });

  it("A5: refuses a notice that does not name the controller, the purpose and how to withdraw, on the text field", async () => {
    const error = await refusal(publishNotice(t.db, admin, acme, { purposeKeys: ["surveys"], kind: "script", language: "en", text: "May we call you about our lovely products sometimes?" }));
    const fields = fieldsOf(error);
    expect(Object.keys(fields)).toEqual(["text"]);
    expect(fields.text).toMatch(/controller's name \(Acme Energy\).*Customer surveys.*how to withdraw/);
    const invalid = fieldsOf(await refusal(publishNotice(t.db, admin, acme, { purposeKeys: [], kind: "fax" as never, language: "English", text: "short" })));
    expect(Object.keys(invalid).sort()).toEqual(["kind", "language", "purposeKeys", "text"]);
    const unknown = fieldsOf(await refusal(publishNotice(t.db, admin, acme, { purposeKeys: ["nope"], kind: "web", language: "en", text: "Acme Energy asks for nope; you can withdraw at any time." })));
    expect(unknown).toEqual({ purposeKeys: "unknown purpose 'nope'" });
    expect((await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.purposeKeys, ["surveys"])))).length).toBe(0);
  });

  it("publishes versions one after another and lists every version, newest first, with its hash", async () => {
    const text = (n: number) => `Acme Energy, the controller, would like to ask you about Customer surveys (round ${n}). You can withdraw at any time.`;
    const first = await publishNotice(t.db, admin, acme, { purposeKeys: ["surveys"], kind: "script", language: "en", text: text(1) });
    const second = await publishNotice(t.db, admin, acme, { purposeKeys: ["surveys"], kind: "script", language: "en", text: text(2) });
    const welsh = await publishNotice(t.db, admin, acme, { purposeKeys: ["surveys"], kind: "script", language: "cy", text: text(3) });
    expect([first.version, second.version, welsh.version]).toEqual([1, 2, 1]);
    const { notices: listed, purposes: listedPurposes } = await tenantCatalogue(t.db, admin, acme);
    const series = listed.filter((n) => n.purposeKeys.join() === "surveys");
    expect(series.map((n) => `${n.language}:${n.version}`)).toEqual(["cy:1", "en:2", "en:1"]);
    expect(series.find((n) => n.id === first.id)).toMatchObject({ text: text(1), hash: first.hash });
    expect(first.hash).not.toBe(second.hash);
    expect(listedPurposes.map((p) => p.key)).toContain("surveys");
    expect(listed.every((n) => n.tenantId === acme)).toBe(true);
  });

  it("A11: the legal basis can change before any consent is recorded for the purpose, and not after", async () => {
    const purpose = await createPurpose(t.db, admin, acme, { key: "loyalty", name: "Loyalty offers", legalBasis: "consent", category: "marketing", channels: ["email"] });
    const edit = { tenantId: acme, purposeId: purpose.id, name: "Loyalty offers", channels: ["email"] as ("email" | "sms")[] };
    const changed = await updatePurpose(t.db, admin, { ...edit, legalBasis: "legitimate_interests" });
    expect(changed.legalBasis).toBe("legitimate_interests");
    await updatePurpose(t.db, admin, { ...edit, legalBasis: "consent" });
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "purpose.updated"), eq(auditEvents.entityId, purpose.id))).orderBy(auditEvents.at).limit(1);
    expect(audit!.before).toMatchObject({ legalBasis: "consent" });
    expect(audit!.after).toMatchObject({ legalBasis: "legitimate_interests" });

    const webForm: ApiKeyActor = { type: "api_key", id: "00000000-0000-4000-8000-000000000002", name: "web form", tenantId: acme, scopes: ["consent:write"], ip: null };
    await recordExternalConsent(t.db, webForm, acme, { customer: "ACME-0003", purpose: "loyalty", channel: "email", action: "refuse", method: "web" });

    expect(fieldsOf(await refusal(updatePurpose(t.db, admin, { ...edit, legalBasis: "legitimate_interests" })))).toEqual({ legalBasis: LEGAL_BASIS_LOCKED });
    const [stored] = await t.db.select().from(purposes).where(and(eq(purposes.tenantId, acme), eq(purposes.id, purpose.id)));
    expect(stored!.legalBasis).toBe("consent");
    // Everything else stays editable; channels may be added but not removed.
    const renamed = await updatePurpose(t.db, admin, { ...edit, name: "Loyalty rewards", legalBasis: "consent", channels: ["email", "sms"], reviewIntervalDays: "180", validForDays: 730 } as never);
    expect(renamed).toMatchObject({ name: "Loyalty rewards", channels: ["email", "sms"], reviewIntervalDays: 180, validForDays: 730 });
    expect(fieldsOf(await refusal(updatePurpose(t.db, admin, { ...edit, legalBasis: "consent", channels: ["sms"] })))).toEqual({ channels: "channels can be added, not removed: keep email" });
  });

  it("is for admins only: agents and supervisors can neither read nor change the catalogue", async () => {
    const [marketing] = await t.db.select().from(purposes).where(and(eq(purposes.tenantId, acme), eq(purposes.key, "marketing")));
    for (const email of ["agent@demo.test", "supervisor@demo.test"]) {
      const staff = await signedInStaff(t.db, email);
      await expect(createPurpose(t.db, staff, acme, { key: "sneaky", name: "Sneaky", legalBasis: "consent", category: "marketing", channels: ["email"] })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(updatePurpose(t.db, staff, { tenantId: acme, purposeId: marketing!.id, name: "X", legalBasis: "legitimate_interests", channels: marketing!.channels })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(publishNotice(t.db, staff, acme, { purposeKeys: ["marketing"], kind: "web", language: "en", text: "Acme Energy: Marketing. You can withdraw at any time." })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(tenantCatalogue(t.db, staff, acme)).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect((await t.db.select().from(purposes).where(eq(purposes.key, "sneaky"))).length).toBe(0);
  });

  it("keeps tenants apart: another tenant's purpose cannot be edited through this one, and an unknown tenant is not found", async () => {
    const [globexMarketing] = await t.db.select().from(purposes).where(and(eq(purposes.tenantId, globex), eq(purposes.key, "marketing")));
    await expect(updatePurpose(t.db, admin, { tenantId: acme, purposeId: globexMarketing!.id, name: "Hijacked", legalBasis: "consent", channels: globexMarketing!.channels })).rejects.toBeInstanceOf(NotFoundError);
    const acmeKeys = (await tenantCatalogue(t.db, admin, acme)).purposes.map((p) => p.key);
    expect(acmeKeys).not.toContain("sale_or_share"); // a globex-only purpose
    await expect(createPurpose(t.db, admin, "00000000-0000-4000-8000-00000000dead", { key: "ghost", name: "Ghost", legalBasis: "consent", category: "x", channels: ["email"] })).rejects.toBeInstanceOf(NotFoundError);
  });
});
