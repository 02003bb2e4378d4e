import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  consentState,
  customers,
  devMailbox,
  notices,
  outboxMessages,
  suppressionEntries,
  webhookEndpoints,
} from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type ApiKeyActor, type StaffActor } from "@/lib/actor";
import { checkConsent, checkConsents } from "@/lib/consent/check";
import { DISPUTE_LINK_TTL_MS, signLink, verifyLink } from "@/lib/consent/links";
import { recordExternalConsent } from "@/lib/consent/record";
import { env } from "@/lib/env";
import { checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { transportsFromEnv } from "@/lib/notifications/transports";
import { deliverDueMessages } from "@/lib/notifications/worker";
import { customerByRef, freshCall } from "@/lib/payments/testing";
import { isSuppressed, suppressContactPoints } from "@/lib/privacy-requests/suppression";
import { emitWebhook, registerWebhookEndpoint } from "@/lib/webhooks/webhooks";
import { UnknownKeyError, currentKeyId, sealedKeyId, unseal } from "./keyring";
import { olderKeyUses, rotateKeys } from "./rotation";
import { rotateToNewKey } from "./testing";

/** A tenant's webhook receiver on 127.0.0.1, keeping each request's signature header and body. */
async function receiver() {
  const received: { signature: string; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      received.push({ signature: String(request.headers["attest-signature"] ?? ""), body });
      response.writeHead(204).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { received, url, close: () => (server.closeAllConnections(), server.close()) };
}

describe("rotating the keys (a new current key, the old one read-only)", () => {
  let t: TestDatabase;
  let acme: string;
  let agent: StaffActor;
  let admin: StaffActor;
  let webForm: ApiKeyActor;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const configured = env.ATTEST_KEYS;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    agent = await signedInStaff(t.db, "agent@demo.test");
    admin = await signedInStaff(t.db, "admin@demo.test");
    webForm = {
      type: "api_key",
      id: "00000000-0000-4000-8000-000000000003",
      name: "web form",
      tenantId: acme,
      scopes: ["consent:write"],
      ip: null,
    };
    hooks = await receiver();
  });
  afterEach(() => void (env.ATTEST_KEYS = configured));
  afterAll(async () => {
    hooks?.close();
    await t?.close();
  });

  const transports = () =>
    transportsFromEnv(t.db, {
      SMTP_URL: undefined,
      SMTP_FROM: "Attest <no-reply@attest.test>",
      SMS_HTTP_URL: undefined,
      SMS_HTTP_TOKEN: undefined,
      deployed: false,
    });
  const check = (customer: string) => checkConsent(t.db, acme, { customer, purpose: "marketing", channel: "email" });
  const grant = async (customer: string) => {
    const [web] = await t.db
      .select()
      .from(notices)
      .where(and(eq(notices.tenantId, acme), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
    await recordExternalConsent(t.db, webForm, acme, {
      customer,
      purpose: "marketing",
      channel: "email",
      action: "grant",
      method: "web",
      notice: web!.id,
    });
  };
  const stateHash = async (ref: string) => {
    const customer = await customerByRef(t.db, "acme", ref);
    const [row] = await t.db
      .select()
      .from(consentState)
      .where(
        and(
          eq(consentState.tenantId, acme),
          eq(consentState.customerId, customer.id),
          eq(consentState.channel, "email"),
        ),
      );
    return row!.contactPointHash!;
  };

  it("keeps consent checks, suppression, one-time codes, links, sealed messages and webhooks working; keys:rotate re-seals", async () => {
    // Written with the one key the ring had: the demo's consent history, and what follows.
    const oldKey = currentKeyId();
    expect((await stateHash("ACME-0002")).startsWith(`${oldKey}:`)).toBe(true);
    const endpoint = await registerWebhookEndpoint(t.db, admin, {
      tenantId: acme,
      url: hooks.url,
      description: "CRM",
      eventTypes: ["customer.updated"],
    });
    await suppressContactPoints(
      t.db,
      acme,
      { emails: ["Gone@Example.com"], phones: [] },
      { reason: "erasure", requestId: null },
    );
    const [event] = await t.db.select().from(consentState).where(eq(consentState.tenantId, acme)).limit(1);
    const link = signLink({
      purpose: "dispute",
      tenantId: acme,
      ids: [event!.eventId],
      expiresAt: new Date(Date.now() + DISPUTE_LINK_TTL_MS),
    });
    const call = await freshCall(t.db, agent, await customerByRef(t.db, "acme", "ACME-0001"));
    await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" });
    const [codeMessage] = await t.db
      .select()
      .from(outboxMessages)
      .where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")));
    expect(sealedKeyId(codeMessage!.body!)).toBe(oldKey);

    const { key: newKey } = rotateToNewKey();

    // Consent: the ledger's hashes under the old key still match, new ones are under the new key, and
    // a contact point changed since a grant is still told apart from the one granted.
    expect((await check("ACME-0002")).reason).toBe("granted");
    await grant("ACME-0004");
    expect((await stateHash("ACME-0004")).startsWith(`${newKey.id}:`)).toBe(true);
    expect((await check("ACME-0004")).reason).toBe("granted");
    await t.db
      .update(customers)
      .set({ email: "someone.else@example.com" })
      .where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0002")));
    await t.db
      .update(customers)
      .set({ email: "another@example.com" })
      .where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0004")));
    const batch = await checkConsents(t.db, acme, {
      checks: ["ACME-0002", "ACME-0004", "ACME-0003"].map((customer) => ({
        customer,
        purpose: "marketing",
        channel: "email",
      })),
    });
    expect(batch.map((c) => c.reason)).toEqual(["contact_point_changed", "contact_point_changed", "granted"]);
    expect((await check("ACME-0002")).reason).toBe("contact_point_changed");

    // Suppression: found under the old key, and not listed twice.
    expect(await isSuppressed(t.db, acme, { email: "gone@example.com " })).toBe(true);
    expect(await isSuppressed(t.db, acme, { email: "kept@example.com" })).toBe(false);
    expect(
      await suppressContactPoints(
        t.db,
        acme,
        { emails: ["gone@example.com"], phones: [] },
        { reason: "again", requestId: null },
      ),
    ).toBe(1);
    expect(await t.db.select().from(suppressionEntries).where(eq(suppressionEntries.tenantId, acme))).toHaveLength(1);

    // The link signed before still opens; the code sealed and hashed with the old key still checks.
    expect(verifyLink(link, "dispute").ids).toEqual([event!.eventId]);
    const code = /^(\d{6}) /.exec(unseal(codeMessage!.body!))![1]!;
    expect((await checkVerificationCode(t.db, agent, { interactionId: call.id, code })).match).toBe(true);

    // The worker delivers the code sealed with the old key, and signs a webhook with the secret sealed with it.
    await emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0001", version: 2, changed: ["email"] });
    await deliverDueMessages(t.db, transports());
    const [delivered] = await t.db.select().from(devMailbox).where(eq(devMailbox.messageId, codeMessage!.id));
    expect(unseal(delivered!.body)).toContain(code);
    expect(hooks.received).toHaveLength(1);
    const { signature, body } = hooks.received[0]!;
    const t0 = /t=(\d+)/.exec(signature)![1]!;
    expect(signature).toContain(`v1=${createHmac("sha256", endpoint.secret).update(`${t0}.${body}`).digest("hex")}`);

    // keys:rotate seals everything sealed again with the new key, and names what still needs the old one.
    const lines: string[] = [];
    const report = await rotateKeys(t.db, systemActor("test"), (line) => lines.push(line), 2);
    expect(report.resealed).toBeGreaterThan(0);
    expect(report.unreadable).toEqual([]);
    expect(lines.some((l) => /webhook signing secrets: 1 re-sealed/.test(l))).toBe(true);
    const [row] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(sealedKeyId(row!.secretSealed)).toBe(newKey.id);
    const needed = report.stillNeeded.filter((u) => u.keyId === oldKey).map((u) => u.what);
    expect(needed).toEqual(
      expect.arrayContaining([expect.stringMatching(/^consent ledger/), expect.stringMatching(/^suppression list/)]),
    );
    expect(needed.some((what) => what.startsWith("sealed"))).toBe(false);
    // Safe to run again: nothing left to re-seal.
    expect((await rotateKeys(t.db, systemActor("test"))).resealed).toBe(0);

    // The old key retired: what was re-sealed still opens; what only the old key opens fails, naming it.
    env.ATTEST_KEYS = [newKey];
    expect(unseal(row!.secretSealed)).toBe(endpoint.secret);
    expect(() => unseal(codeMessage!.body!)).toThrow(`made with the key '${oldKey}', which is not in ATTEST_KEYS`);
    await expect(check("ACME-0003")).rejects.toThrow(UnknownKeyError);
    expect((await olderKeyUses(t.db)).some((u) => u.keyId === oldKey && u.what.startsWith("consent ledger"))).toBe(
      true,
    );
  });

  it("leaves a value sealed with a key no longer in the ring as it was, and reports it", async () => {
    const { key: lost, restore } = rotateToNewKey();
    const endpoint = await registerWebhookEndpoint(t.db, admin, {
      tenantId: acme,
      url: hooks.url,
      description: "ERP",
      eventTypes: ["customer.updated"],
    });
    restore(); // the key is gone from ATTEST_KEYS before keys:rotate could move its values
    const report = await rotateKeys(t.db, systemActor("test"));
    expect(report.unreadable).toContainEqual({ keyId: lost.id, what: "webhook signing secrets", count: 1 });
    expect(report.stillNeeded).toContainEqual({ keyId: lost.id, what: "sealed webhook signing secrets", count: 1 });
    const [row] = await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(sealedKeyId(row!.secretSealed)).toBe(lost.id);
    expect(() => unseal(row!.secretSealed)).toThrow(UnknownKeyError);
  });
});
