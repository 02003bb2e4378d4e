import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as check } from "@/app/api/v1/consents/check/route";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { useConnection } from "@/db/client";
import { auditEvents, consentEvents, customers, outboxMessages, tenants, type OutboxMessage } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { ConflictError } from "@/lib/errors";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { createPurpose, publishNotice } from "./catalogue";
import { confirmConsent, confirmationNeeded, confirmationRequest } from "./confirmation";
import { LinkError } from "./links";
import { verifyLedger } from "./verify";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const noParams = { params: Promise.resolve({}) };
const meta = { ip: "198.51.100.7", userAgent: "Mozilla/5.0 (test)" };
const DAY = 86_400_000;

const get = (path: string, key: string) => new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } });
const post = (body: unknown, key: string) =>
  new Request("http://localhost/api/v1/consents", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("consent confirmation: double opt-in and explicit consent (A8)", () => {
  let t: TestDatabase;
  const notice: Record<string, string> = {};

  async function noticeFor(key: string, purpose: string) {
    const body = await (await listPurposes(get("/api/v1/purposes", key), noParams)).json();
    return body.purposes.find((p: { key: string }) => p.key === purpose).notices.find((n: { kind: string }) => n.kind === "web").id as string;
  }
  async function record(key: string, body: Record<string, unknown>) {
    const response = await recordConsent(post(body, key), noParams);
    expect(response.status).toBe(201);
    return (await response.json()).event;
  }
  async function checked(key: string, customer: string, purpose: string, channel: string) {
    return (await check(get(`/api/v1/consents/check?customer=${customer}&purpose=${purpose}&channel=${channel}`, key), noParams)).json();
  }
  async function customerId(tenantKey: string, ref: string) {
    const [row] = await t.db.select({ id: customers.id }).from(customers).innerJoin(tenants, eq(tenants.id, customers.tenantId)).where(and(eq(tenants.key, tenantKey), eq(customers.ref, ref)));
    return row!.id;
  }
  async function confirmationMessages(tenantKey: string, ref: string): Promise<OutboxMessage[]> {
    return t.db
      .select()
      .from(outboxMessages)
      .where(and(eq(outboxMessages.customerId, await customerId(tenantKey, ref)), eq(outboxMessages.template, "consent.confirmation")))
      .orderBy(desc(outboxMessages.createdAt));
  }
  function tokenIn(message: OutboxMessage): string {
    const match = /\/consent\/confirm\/([A-Za-z0-9_-]+)/.exec(unseal(message.body!));
    expect(match).not.toBeNull();
    return match![1]!;
  }
  const eventCount = async () => Number(((await t.db.select({ n: sql<number>`count(*)` }).from(consentEvents)) as [{ n: number }])[0].n);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    notice.globex = await noticeFor(GLOBEX, "marketing");
    notice.acme = await noticeFor(ACME, "marketing");
  }, 120_000);
  afterAll(() => t.close());

  it("needs confirmation for email grants on a double opt-in tenant and for every special-category grant", () => {
    const plain = { specialCategory: false } as Parameters<typeof confirmationNeeded>[1];
    const special = { specialCategory: true } as Parameters<typeof confirmationNeeded>[1];
    expect(confirmationNeeded({ emailDoubleOptIn: true }, plain, "email")).toBe("double_opt_in");
    expect(confirmationNeeded({ emailDoubleOptIn: true }, plain, "sms")).toBeNull();
    expect(confirmationNeeded({ emailDoubleOptIn: false }, plain, "email")).toBeNull();
    expect(confirmationNeeded({ emailDoubleOptIn: false }, special, "sms")).toBe("explicit_consent");
    expect(confirmationNeeded({ emailDoubleOptIn: true }, special, "email")).toBe("explicit_consent");
  });

  it("double opt-in through the API: pending until the link is confirmed; a second use changes nothing", async () => {
    const event = await record(GLOBEX, { customer: "GLX-0001", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: notice.globex, evidence: { ip: "203.0.113.9" } });
    expect(event).toMatchObject({ action: "grant", status: "pending_confirmation" });
    expect(await checked(GLOBEX, "GLX-0001", "marketing", "email")).toMatchObject({ allowed: false, reason: "pending_confirmation", eventId: event.id });
    const [stored] = await t.db.select().from(consentEvents).where(eq(consentEvents.id, event.id));
    expect(stored).toMatchObject({ action: "request_confirmation", noticeId: notice.globex, method: "web" });

    // The link travels sealed: the outbox never holds the token in clear.
    const [message] = await confirmationMessages("globex", "GLX-0001");
    expect(message).toMatchObject({ channel: "email", sensitive: true, recipient: "john.miller@example.com" });
    expect(isSealed(message!.body!)).toBe(true);
    expect(message!.body).not.toContain("/consent/confirm/");
    const token = tokenIn(message!);
    expect(unseal(message!.body!)).toContain("http://localhost:3000/consent/confirm/");

    expect(await confirmationRequest(t.db, token)).toMatchObject({ tenantName: "Globex Telecom", purposeName: "Marketing", channel: "email", state: "pending" });
    const confirmed = await confirmConsent(t.db, token, meta);
    expect(confirmed).toMatchObject({ status: "confirmed", tenantName: "Globex Telecom", purposeName: "Marketing" });
    expect(await checked(GLOBEX, "GLX-0001", "marketing", "email")).toMatchObject({ allowed: true, reason: "granted", eventId: confirmed.eventId });
    const [confirmEvent] = await t.db.select().from(consentEvents).where(eq(consentEvents.id, confirmed.eventId));
    expect(confirmEvent).toMatchObject({ action: "confirm", method: "web", noticeId: notice.globex, capturedByType: "system" });
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, confirmed.eventId), eq(auditEvents.action, "consent.confirm")));
    expect(audit).toMatchObject({ actorType: "system", ip: meta.ip, outcome: "success" });

    const before = await eventCount();
    expect(await confirmConsent(t.db, token, meta)).toMatchObject({ status: "already_confirmed" });
    expect(await eventCount()).toBe(before);
    expect(await confirmationRequest(t.db, token)).toMatchObject({ state: "confirmed" });
  });

  it("refuses an expired link and a link after a withdrawal, changing nothing", async () => {
    await record(GLOBEX, { customer: "GLX-0002", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: notice.globex });
    const token = tokenIn((await confirmationMessages("globex", "GLX-0002"))[0]!);
    const expired = await confirmConsent(t.db, token, meta, new Date(Date.now() + 8 * DAY)).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(LinkError);
    expect((expired as LinkError).reason).toBe("expired");
    expect(await checked(GLOBEX, "GLX-0002", "marketing", "email")).toMatchObject({ reason: "pending_confirmation" });

    await record(GLOBEX, { customer: "GLX-0002", purpose: "marketing", channel: "email", action: "withdraw", method: "web" });
    const before = await eventCount();
    await expect(confirmConsent(t.db, token, meta)).rejects.toBeInstanceOf(ConflictError);
    await expect(confirmConsent(t.db, token, meta)).rejects.toThrow(/later choice replaced it/);
    expect(await eventCount()).toBe(before);
    expect(await confirmationRequest(t.db, token)).toMatchObject({ state: "superseded" });
    expect(await checked(GLOBEX, "GLX-0002", "marketing", "email")).toMatchObject({ allowed: false, reason: "withdrawn" });
  });

  it("grants at once where no confirmation is needed: SMS on globex, email on acme (no double opt-in)", async () => {
    expect(await record(GLOBEX, { customer: "GLX-0005", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: notice.globex })).toMatchObject({ status: "granted" });
    expect(await record(ACME, { customer: "ACME-0010", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: notice.acme })).toMatchObject({ status: "granted" });
    expect(await confirmationMessages("globex", "GLX-0005")).toEqual([]);
    expect(await confirmationMessages("acme", "ACME-0010")).toEqual([]);
  });

  it("A8: a special-category grant waits for the confirming step sent to the email on file, whatever its channel", async () => {
    const acme = await tenantIdByKey(t.db, "acme");
    const admin = systemActor("test setup");
    await createPurpose(t.db, admin, acme, { key: "health_offers", name: "Health offers", legalBasis: "consent", category: "health", specialCategory: true, channels: ["sms", "email"] });
    const health = await publishNotice(t.db, admin, acme, {
      purposeKeys: ["health_offers"],
      kind: "web",
      language: "en",
      text: "Acme Energy would like to use your health information for Health offers. You can withdraw your consent at any time.",
    });
    const event = await record(ACME, { customer: "ACME-0005", purpose: "health_offers", channel: "sms", action: "grant", method: "web", notice: health.id });
    expect(event.status).toBe("pending_confirmation");
    expect(await checked(ACME, "ACME-0005", "health_offers", "sms")).toMatchObject({ allowed: false, reason: "pending_confirmation" });
    const [message] = await confirmationMessages("acme", "ACME-0005");
    const [ann] = await t.db.select().from(customers).where(eq(customers.id, await customerId("acme", "ACME-0005")));
    expect(message).toMatchObject({ channel: "email", recipient: ann!.email, sensitive: true });
    expect(unseal(message!.body!)).toContain("explicit consent to Health offers by SMS");
    expect(await confirmConsent(t.db, tokenIn(message!), meta)).toMatchObject({ status: "confirmed" });
    expect(await checked(ACME, "ACME-0005", "health_offers", "sms")).toMatchObject({ allowed: true, reason: "granted" });
  });

  it("keeps both ledgers verifiable", async () => {
    for (const key of ["acme", "globex"]) expect(await verifyLedger(t.db, await tenantIdByKey(t.db, key))).toMatchObject({ ok: true });
  });
});
