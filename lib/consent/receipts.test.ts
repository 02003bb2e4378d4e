import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as receipt } from "@/app/api/v1/consents/[eventId]/receipt/route";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { useConnection } from "@/db/client";
import { consentEvents, customers, outboxMessages, tenants } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createApiKey } from "@/lib/api-keys/api-keys";
import { startCall } from "@/lib/interactions/interactions";
import { unseal } from "@/lib/notifications/sealed";
import { purposeByKey } from "./check";
import { confirmConsent } from "./confirmation";
import { appendConsentEvent } from "./ledger";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const noParams = { params: Promise.resolve({}) };

const get = (path: string, key: string) => new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } });
const receiptOf = (eventId: string, key: string) => receipt(get(`/api/v1/consents/${eventId}/receipt`, key), { params: Promise.resolve({ eventId }) });

describe("GET /api/v1/consents/{eventId}/receipt", () => {
  let t: TestDatabase;
  let grant: { id: string; occurredAt: string };
  let notice: { id: string; version: number; hash: string; language: string };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    const purposes = await (await listPurposes(get("/api/v1/purposes", ACME), noParams)).json();
    notice = purposes.purposes.find((p: { key: string }) => p.key === "marketing").notices.find((n: { kind: string }) => n.kind === "web");
    const response = await recordConsent(
      new Request("http://localhost/api/v1/consents", {
        method: "POST",
        headers: { authorization: `Bearer ${ACME}`, "content-type": "application/json" },
        body: JSON.stringify({ customer: "ACME-0011", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: notice.id, occurredAt: "2026-11-25T09:30:00Z", evidence: { ip: "203.0.113.5" } }),
      }),
      noParams,
    );
    grant = (await response.json()).event;
  }, 120_000);
  afterAll(() => t.close());

  async function globexNotice() {
    const purposes = await (await listPurposes(get("/api/v1/purposes", GLOBEX), noParams)).json();
    return purposes.purposes.find((p: { key: string }) => p.key === "marketing").notices.find((n: { kind: string }) => n.kind === "web") as { id: string };
  }
  async function customerOf(tenantKey: string, ref: string) {
    const [row] = await t.db.select({ id: customers.id }).from(customers).innerJoin(tenants, eq(tenants.id, customers.tenantId)).where(and(eq(tenants.key, tenantKey), eq(customers.ref, ref)));
    return row!;
  }

  it("answers the ISO/IEC TS 27560 record of the event, readable as a Kantara v1.1 receipt", async () => {
    const response = await receiptOf(grant.id, ACME);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      schemaVersion: "ISO/IEC TS 27560:2023",
      recordId: grant.id,
      piiPrincipalId: "ACME-0011",
      controller: { name: "Acme Energy" },
      processor: { name: "Attest contact centre", onBehalfOf: "Acme Energy" },
      notice: { id: notice.id, version: notice.version, hash: notice.hash, language: notice.language, hashAlgorithm: "SHA-256" },
      purposes: [{ id: "marketing", name: "Marketing", legalBasis: "consent", category: "marketing", specialCategory: false, channel: "sms" }],
      personalDataCategories: expect.arrayContaining(["contact details: mobile phone number"]),
      jurisdictions: [
        { key: "uk_gdpr", name: "UK GDPR" },
        { key: "pecr", name: "PECR (UK e-marketing)" },
      ],
      event: {
        id: grant.id,
        action: "grant",
        state: "granted",
        occurredAt: "2026-11-25T09:30:00.000Z",
        expressedBy: "customer_via_api",
        method: "web",
        channel: "sms",
        validFrom: "2026-11-25T09:30:00.000Z",
        validUntil: null,
      },
      withdrawal: { possible: true, howTo: expect.stringContaining("Acme Energy") },
      // Kantara v1.1 names
      version: "KI-CR-v1.1.0",
      jurisdiction: "UK GDPR, PECR (UK e-marketing)",
      consentTimestamp: Date.parse("2026-11-25T09:30:00Z") / 1000,
      collectionMethod: "web form",
      piiControllers: [{ piiController: "Acme Energy", onBehalf: false }, { piiController: "Attest contact centre", onBehalf: true }],
      services: [{ service: "Marketing", purposes: [{ purpose: "Marketing", purposeCategory: ["marketing"], primaryPurpose: true }] }],
      sensitive: false,
      spiCat: [],
    });
    expect(body.receiptId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.consentReceiptID).toBe(body.receiptId);
    const [stored] = await t.db.select().from(consentEvents).where(eq(consentEvents.id, grant.id));
    expect(body.event.hash).toBe(stored!.hash);
    // The same event always gives the same receipt id; the record holds no contact detail in clear.
    expect((await (await receiptOf(grant.id, ACME)).json()).receiptId).toBe(body.receiptId);
    const [customer] = await t.db.select().from(customers).innerJoin(tenants, eq(tenants.id, customers.tenantId)).where(and(eq(tenants.key, "acme"), eq(customers.ref, "ACME-0011")));
    expect(JSON.stringify(body)).not.toContain(customer!.customers.phone!);
    expect(JSON.stringify(body)).not.toContain(customer!.customers.email!);
  });

  it("tells who expressed an agent's capture (with the call and recording) and a confirmation link's step", async () => {
    const acme = await tenantIdByKey(t.db, "acme");
    const agent = await signedInStaff(t.db, "agent@demo.test");
    const [ann] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0012")));
    const call = await startCall(t.db, agent, { customerId: ann!.id, recordingRef: "REC-RECEIPT-1" });
    const verbal = await t.db.transaction(async (tx) =>
      appendConsentEvent(tx, agent, {
        tenantId: acme,
        customerId: ann!.id,
        purpose: await purposeByKey(tx, acme, "marketing"),
        channel: "phone",
        action: "grant",
        method: "verbal",
        noticeId: notice.id,
        language: "en",
        interactionId: call.id,
        recordingRef: call.recordingRef,
        occurredAt: new Date(),
      }),
    );
    const spoken = await (await receiptOf(verbal.id, ACME)).json();
    expect(spoken.event).toMatchObject({ expressedBy: "customer_via_agent", method: "verbal", interactionId: call.id, recordingRef: "REC-RECEIPT-1", capturedBy: { type: "staff", id: agent.id } });
    expect(spoken.collectionMethod).toBe("verbal, on a call with an agent");

    // Double opt-in on globex: the pending request, then the customer's own confirmation on the web.
    const pending = await (
      await recordConsent(
        new Request("http://localhost/api/v1/consents", {
          method: "POST",
          headers: { authorization: `Bearer ${GLOBEX}`, "content-type": "application/json" },
          body: JSON.stringify({ customer: "GLX-0006", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: (await globexNotice()).id }),
        }),
        noParams,
      )
    ).json();
    expect((await (await receiptOf(pending.event.id, GLOBEX)).json()).event).toMatchObject({ action: "request_confirmation", state: "pending_confirmation" });
    const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.template, "consent.confirmation"), eq(outboxMessages.customerId, (await customerOf("globex", "GLX-0006")).id)));
    const token = /\/consent\/confirm\/([A-Za-z0-9_-]+)/.exec(unseal(message!.body!))![1]!;
    const confirmed = await confirmConsent(t.db, token, { ip: "198.51.100.1", userAgent: "test" });
    const body = await (await receiptOf(confirmed.eventId, GLOBEX)).json();
    expect(body.event).toMatchObject({ action: "confirm", state: "granted", expressedBy: "customer_web", method: "web", confirms: pending.event.id });
    expect(body.controller.name).toBe("Globex Telecom");
    expect(body.jurisdictions.map((j: { key: string }) => j.key)).toEqual(["ccpa", "tcpa", "can_spam"]);
  });

  it("is 404 for another tenant's event and an unknown id, 400 for a malformed id, 403 without consent:read", async () => {
    expect((await receiptOf(grant.id, GLOBEX)).status).toBe(404);
    expect((await receiptOf("3f1c9a52-0000-4000-8000-000000000000", ACME)).status).toBe(404);
    const malformed = await receiptOf("not-an-id", ACME);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).errors).toEqual([{ path: "eventId", message: expect.stringContaining("UUID") }]);
    const { key } = await createApiKey(t.db, systemActor("test"), { tenantId: await tenantIdByKey(t.db, "acme"), name: "CRM", scopes: ["customers:read"] });
    expect((await receiptOf(grant.id, key)).status).toBe(403);
  });
});
