import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents, customers, outboxAttempts, outboxMessages, purposes, webhookEndpoints, type Customer, type Interaction, type OutboxMessage } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { offlineTargets, PUBLIC_TEST_ADDRESS } from "@/db/testing/webhook-targets";
import { systemActor, type StaffActor } from "@/lib/actor";
import { appendConsentEvent } from "@/lib/consent/ledger";
import { putCustomer } from "@/lib/customers/customers";
import { changeCustomerStatus, updateProfile } from "@/lib/customers/profile";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { checkKnowledge } from "@/lib/identity/verification";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import type { TargetPolicy } from "./targets";
import { disableWebhookEndpoint, emitWebhook, listWebhookEndpoints, recentWebhookDeliveries, registerWebhookEndpoint } from "./webhooks";

const T0 = new Date("2030-05-01T09:00:00Z");

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but the call succeeded");
}

describe("webhook endpoints and events", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  let globex: string;
  /** An admin of Globex only: Acme's endpoints must not exist for them. */
  let globexAdmin: StaffActor;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    globexAdmin = { ...admin, tenantIds: [globex] };
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    await t.db.delete(outboxAttempts);
    await t.db.delete(outboxMessages);
    await t.db.delete(webhookEndpoints);
  });

  type Registration = Partial<Parameters<typeof registerWebhookEndpoint>[2]>;
  const register = (overrides: Registration = {}, actor: StaffActor = admin, targets: TargetPolicy = offlineTargets()) =>
    registerWebhookEndpoint(
      t.db,
      actor,
      { tenantId: acme, url: "https://crm.acme.test/hooks/attest", description: "Acme CRM", eventTypes: ["consent.changed", "customer.updated"], ...overrides },
      { targets },
    );
  const urlErrorOf = async (url: string, targets?: TargetPolicy) => {
    const error = await errorOf(register({ url }, admin, targets));
    expect(error, url).toBeInstanceOf(ValidationError);
    return (error as ValidationError).fieldErrors.find((e) => e.path === "url")?.message;
  };
  const webhookMessages = () => t.db.select().from(outboxMessages).where(eq(outboxMessages.channel, "webhook")).orderBy(asc(outboxMessages.createdAt));
  const envelopeOf = (message: OutboxMessage) => JSON.parse(message.body!) as Record<string, unknown> & { data: Record<string, unknown> };
  const customerByRef = async (tenantId: string, ref: string): Promise<Customer> =>
    (await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref))))[0]!;

  describe("registration", () => {
    it("returns the secret once and keeps it only sealed, out of the list and the audit", async () => {
      const { id, secret } = await register();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const [row] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
      expect(row).toMatchObject({ tenantId: acme, url: "https://crm.acme.test/hooks/attest", description: "Acme CRM", eventTypes: ["consent.changed", "customer.updated"], createdBy: admin.id, disabledAt: null });
      expect(isSealed(row!.secretSealed)).toBe(true);
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(secret.slice(6));
      expect(unseal(row!.secretSealed)).toBe(secret); // signing needs it back

      const listed = await listWebhookEndpoints(t.db, admin);
      expect(listed.map((e) => e.id)).toEqual([id]);
      expect(listed[0]).not.toHaveProperty("secretSealed");

      const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
      expect(event).toMatchObject({ action: "webhook_endpoint.registered", tenantId: acme, actorId: admin.id, after: { destination: "https://crm.acme.test", description: "Acme CRM" } });
      expect(JSON.stringify(event)).not.toContain(secret);
    });

    it("accepts https anywhere and plain http only on this machine, without credentials, for known event types", async () => {
      expect((await register({ url: "http://localhost:4000/hook" }, admin, offlineTargets({ localhost: ["127.0.0.1", "::1"] }))).id).toBeTruthy();
      expect((await register({ url: "http://127.0.0.1:4000/hook" })).id).toBeTruthy();
      const refusals = {
        "http://crm.acme.test/hook": "url",
        "ftp://crm.acme.test/hook": "url",
        "not a url": "url",
        "https://user:pass@crm.acme.test/hook": "url",
      };
      for (const [url, path] of Object.entries(refusals)) {
        const error = await errorOf(register({ url }));
        expect(error, url).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).fieldErrors.map((e) => e.path)).toContain(path);
      }
      const badType = await errorOf(register({ eventTypes: ["customer.deleted" as never] }));
      expect((badType as ValidationError).fieldErrors[0]!.path).toMatch(/^eventTypes/);
      expect(await errorOf(register({ eventTypes: [] }))).toBeInstanceOf(ValidationError);
      expect(await errorOf(register({ description: "  " }))).toBeInstanceOf(ValidationError);
      expect((await listWebhookEndpoints(t.db, admin)).map((e) => e.url).sort()).toEqual(["http://127.0.0.1:4000/hook", "http://localhost:4000/hook"]);
    });

    // One address of every range a receiver can never be on, in each spelling that reaches it.
    const REFUSED_ADDRESSES = {
      "this network 0/8": ["0.0.0.0", "0.1.2.3"],
      "private 10/8": ["10.0.0.1", "10.255.255.254"],
      "shared 100.64/10": ["100.64.0.1", "100.127.255.254"],
      "loopback 127/8": ["127.0.0.1", "127.1.2.3"],
      "link-local 169.254/16 (cloud metadata)": ["169.254.169.254"],
      "private 172.16/12": ["172.16.0.1", "172.31.255.254"],
      "protocol assignments 192.0.0/24": ["192.0.0.8"],
      "private 192.168/16": ["192.168.1.1"],
      "benchmarking 198.18/15": ["198.18.0.1", "198.19.255.254"],
      "documentation": ["192.0.2.10", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1"],
      "multicast": ["224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1"],
      "reserved and broadcast 240/4": ["240.0.0.1", "255.255.255.255"],
      "IPv6 unspecified and loopback": ["::", "::1", "0:0:0:0:0:0:0:1"],
      "unique-local fc00::/7": ["fc00::1", "fd12:3456:789a::1"],
      "link-local fe80::/10": ["fe80::1", "febf::1"],
      "IPv4-mapped IPv6": ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:a9fe:a9fe", "0:0:0:0:0:ffff:c0a8:101"],
      "IPv4 inside IPv6 (compatible, NAT64, 6to4, Teredo)": ["::127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001::1"],
    };
    const deployed = (answers: Record<string, string[]> = {}) => offlineTargets(answers, { loopbackAllowed: false });
    const NOT_PUBLIC = "must be on the internet: private, loopback, link-local and reserved addresses are refused";

    it("refuses every private, loopback, link-local, multicast and reserved range, by address and by name, on the url field", async () => {
      for (const [range, addresses] of Object.entries(REFUSED_ADDRESSES)) {
        for (const address of addresses) {
          const literal = address.includes(":") ? `[${address}]` : address;
          expect(await urlErrorOf(`https://${literal}/hook`, deployed()), `${range}: ${address}`).toBe(NOT_PUBLIC);
          expect(await urlErrorOf("https://crm.acme.test/hook", deployed({ "crm.acme.test": [address] })), `${range}: name → ${address}`).toBe(NOT_PUBLIC);
        }
      }
      // Spellings of 127.0.0.1 that the URL parser turns into it.
      for (const url of ["https://2130706433/hook", "https://0x7f.1/hook", "https://127.1/hook"]) expect(await urlErrorOf(url, deployed()), url).toBe(NOT_PUBLIC);
      // One private address among public ones is enough to refuse the name.
      expect(await urlErrorOf("https://crm.acme.test/hook", deployed({ "crm.acme.test": [PUBLIC_TEST_ADDRESS, "10.0.0.1"] }))).toBe(NOT_PUBLIC);
      expect(await listWebhookEndpoints(t.db, admin)).toEqual([]);
    });

    it("accepts public addresses just outside the refused ranges, and this machine only outside a deployment", async () => {
      const edges = ["9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255", "198.17.255.255", "198.20.0.0", "223.255.255.255", "2606:4700::1111", "::ffff:5db8:d70e"];
      for (const address of edges) {
        expect((await register({ url: "https://crm.acme.test/hook" }, admin, deployed({ "crm.acme.test": [address] }))).id, address).toBeTruthy();
      }
      expect(await urlErrorOf("https://localhost/hook", deployed({ localhost: ["127.0.0.1", "::1"] }))).toBe(NOT_PUBLIC);
      expect(await urlErrorOf("http://127.0.0.1:4000/hook", deployed())).toBe(NOT_PUBLIC);
      expect((await register({ url: "https://[::1]:4000/hook" })).id).toBeTruthy();
      expect((await listWebhookEndpoints(t.db, admin)).length).toBe(edges.length + 1);
    });

    it("refuses plain http beyond this machine and a name that is not found, after resolving it", async () => {
      const scheme = "must start with https:// (plain http:// only to this machine, outside production)";
      expect(await urlErrorOf("http://crm.acme.test/hook")).toBe(scheme);
      // A name that leads both here and out is not "this machine".
      expect(await urlErrorOf("http://both.acme.test/hook", offlineTargets({ "both.acme.test": ["127.0.0.1", PUBLIC_TEST_ADDRESS] }))).toBe(scheme);
      expect(await urlErrorOf("https://nowhere.example/hook")).toBe("was not found: check the host name");
      expect(await urlErrorOf("https://empty.acme.test/hook", offlineTargets({ "empty.acme.test": [] }))).toBe("was not found: check the host name");
      expect(await listWebhookEndpoints(t.db, admin)).toEqual([]);
    });

    it("is for admins of the tenant only: agents and supervisors are refused, another tenant's admin finds nothing", async () => {
      const { id } = await register();
      const agent = await signedInStaff(t.db, "agent@demo.test");
      const supervisor = await signedInStaff(t.db, "supervisor@demo.test");
      for (const actor of [agent, supervisor]) {
        expect(await errorOf(register({}, actor))).toBeInstanceOf(ForbiddenError);
        expect(await errorOf(listWebhookEndpoints(t.db, actor))).toBeInstanceOf(ForbiddenError);
        expect(await errorOf(disableWebhookEndpoint(t.db, actor, id))).toBeInstanceOf(ForbiddenError);
        expect(await errorOf(recentWebhookDeliveries(t.db, actor))).toBeInstanceOf(ForbiddenError);
      }
      expect(await errorOf(register({}, globexAdmin))).toBeInstanceOf(NotFoundError);
      expect(await listWebhookEndpoints(t.db, globexAdmin)).toEqual([]);
      expect(await errorOf(disableWebhookEndpoint(t.db, globexAdmin, id))).toBeInstanceOf(NotFoundError);

      await emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0001", version: 2, changed: ["name"] }, T0);
      expect(await recentWebhookDeliveries(t.db, globexAdmin)).toEqual([]);
      expect(await recentWebhookDeliveries(t.db, admin)).toHaveLength(1);

      const [row] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
      expect(row!.disabledAt).toBeNull();
      expect(await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, "webhook_endpoint.disabled")))).toEqual([]);
    });

    it("disables an endpoint once, audited; nothing new is queued for it", async () => {
      const { id } = await register();
      await disableWebhookEndpoint(t.db, admin, id, T0);
      const [row] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
      expect(row!.disabledAt).toEqual(T0);
      const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, "webhook_endpoint.disabled")));
      expect(event).toMatchObject({ tenantId: acme, actorId: admin.id });
      expect(await errorOf(disableWebhookEndpoint(t.db, admin, id))).toBeInstanceOf(NotFoundError);

      expect(await emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0001", version: 2, changed: ["name"] }, T0)).toBeNull();
      expect(await webhookMessages()).toEqual([]);
    });
  });

  describe("events", () => {
    it("go once to each active endpoint of the tenant subscribed to the type, all with the same event id", async () => {
      const crm = await register({ eventTypes: ["customer.updated"] });
      const warehouse = await register({ url: "https://dwh.acme.test/in", description: "Warehouse", eventTypes: ["customer.updated", "consent.changed"] });
      await register({ description: "Consent only", eventTypes: ["consent.changed"] });
      await register({ tenantId: globex, description: "Globex CRM" });

      const eventId = await emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0002", version: 3, changed: ["email"] }, T0);
      const messages = await webhookMessages();
      expect(messages.map((m) => m.recipient).sort()).toEqual([crm.id, warehouse.id].sort());
      for (const message of messages) {
        expect(message).toMatchObject({ tenantId: acme, channel: "webhook", template: "customer.updated", status: "pending", sensitive: false, customerId: null, nextAttemptAt: T0 });
        expect(message.giveUpAt).toEqual(new Date(T0.getTime() + 24 * 60 * 60 * 1000));
        expect(envelopeOf(message)).toEqual({ id: eventId, type: "customer.updated", occurredAt: T0.toISOString(), tenant: "acme", data: { customer: "ACME-0002", version: 3, changed: ["email"] } });
      }
      // A second event is a second id.
      const second = await emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0002", version: 4, changed: ["name"] }, T0);
      expect(second).not.toBe(eventId);
      expect(second).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("consent.changed is queued by the ledger in the same transaction, and a rolled-back transaction leaves none", async () => {
      const hook = await register({ eventTypes: ["consent.changed"] });
      const customer = await customerByRef(acme, "ACME-0003");
      const [marketing] = await t.db.select().from(purposes).where(and(eq(purposes.tenantId, acme), eq(purposes.key, "marketing")));
      const occurredAt = new Date("2030-05-01T08:55:00Z");
      const consent = { tenantId: acme, customerId: customer.id, purpose: marketing!, channel: "email" as const, action: "withdraw" as const, method: "api" as const, occurredAt };

      const refused = t.db.transaction(async (tx) => {
        await appendConsentEvent(tx, systemActor("test"), consent, T0);
        expect(await tx.select().from(outboxMessages).where(eq(outboxMessages.channel, "webhook"))).toHaveLength(1);
        throw new Error("the change was refused");
      });
      await expect(refused).rejects.toThrow("the change was refused");
      expect(await webhookMessages()).toEqual([]);

      const event = await t.db.transaction((tx) => appendConsentEvent(tx, systemActor("test"), consent, T0));
      const [message] = await webhookMessages();
      expect(message).toMatchObject({ recipient: hook.id, template: "consent.changed" });
      const envelope = envelopeOf(message!);
      expect(Object.keys(envelope).sort()).toEqual(["data", "id", "occurredAt", "tenant", "type"]);
      expect(envelope).toMatchObject({ type: "consent.changed", tenant: "acme", occurredAt: T0.toISOString() });
      expect(envelope.id).not.toBe(event.id);
      expect(envelope.data).toEqual({
        customer: "ACME-0003",
        purpose: "marketing",
        channel: "email",
        action: "withdraw",
        status: "withdrawn",
        eventId: event.id,
        occurredAt: occurredAt.toISOString(),
        validUntil: null,
      });
    });

    it("customer.updated is queued by an API replace with the names of the changed fields, never their values", async () => {
      await register({ eventTypes: ["customer.updated"] });
      const apiKey = { type: "api_key" as const, id: "00000000-0000-4000-8000-000000000002", name: "crm", tenantId: acme, scopes: ["customers:write"], ip: null };
      await putCustomer(t.db, apiKey, acme, "ACME-0200", { name: "Jo Bloggs", email: "jo.bloggs@example.com" });
      expect(await webhookMessages()).toEqual([]); // a creation is not an update

      // Inside a caller's transaction that then fails: nothing is queued.
      const refused = t.db.transaction(async (tx) => {
        await putCustomer(tx, apiKey, acme, "ACME-0200", { name: "Jo Bloggs", email: "jo.b@example.com" });
        throw new Error("the batch was refused");
      });
      await expect(refused).rejects.toThrow("the batch was refused");
      expect(await webhookMessages()).toEqual([]);

      const { customer } = await putCustomer(t.db, apiKey, acme, "ACME-0200", { name: "Jo Bloggs", email: "jo.b@example.com", phone: "07912 345612" });
      const [message] = await webhookMessages();
      const envelope = envelopeOf(message!);
      expect(envelope).toMatchObject({ type: "customer.updated", tenant: "acme", data: { customer: "ACME-0200", version: customer.version, changed: ["email", "phone"] } });
      expect(customer.version).toBe(2);
      expect(message!.body).not.toContain("jo.b");
      expect(message!.body).not.toContain("7912");

      // An identical PUT changes nothing and tells nobody.
      await putCustomer(t.db, apiKey, acme, "ACME-0200", { name: "Jo Bloggs", email: "jo.b@example.com", phone: "07912 345612" });
      expect(await webhookMessages()).toHaveLength(1);
    });

    it("customer.updated is queued by a profile change and a status change during a call", async () => {
      await register({ eventTypes: ["customer.updated"] });
      const agent = await signedInStaff(t.db, "agent.acme@demo.test");
      const customer = await customerByRef(acme, "ACME-0004");
      const open = await openCallWith(t.db, agent, customer);
      if (open) await endCall(t.db, agent, { interactionId: open.id, disposition: "resolved", summary: "Done." });
      const call: Interaction = await startCall(t.db, agent, { customerId: customer.id });
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: customer.dateOfBirth! })).toMatchObject({ match: true });

      const updated = await updateProfile(t.db, agent, { interactionId: call.id, customerId: customer.id, version: customer.version, name: "Renamed Person" });
      await changeCustomerStatus(t.db, agent, { interactionId: call.id, customerId: customer.id, status: "inactive", reason: "Moved abroad" });

      const envelopes = (await webhookMessages()).map(envelopeOf);
      expect(envelopes.map((e) => e.data)).toEqual([
        { customer: "ACME-0004", version: updated.version, changed: ["name"] },
        { customer: "ACME-0004", version: updated.version + 1, changed: ["status"] },
      ]);
      const bodies = JSON.stringify(envelopes);
      expect(bodies).not.toContain("Renamed");
      expect(bodies).not.toContain("Moved abroad");
    });
  });
});
