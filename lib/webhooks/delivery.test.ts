import { createHmac, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { devMailbox, outboxAttempts, outboxMessages, webhookEndpoints } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { transportsFromEnv, type Transports } from "@/lib/notifications/transports";
import { deliverDueMessages } from "@/lib/notifications/worker";
import { offlineTargets, PUBLIC_TEST_ADDRESS } from "@/db/testing/webhook-targets";
import { webhookTransport } from "./delivery";
import type { ResolveHost } from "./targets";
import { disableWebhookEndpoint, emitWebhook, recentWebhookDeliveries, registerWebhookEndpoint } from "./webhooks";

const T0 = new Date("2030-06-01T09:00:00Z");
const DAY = 24 * 60 * 60 * 1000;

type Received = { method?: string; url?: string; headers: IncomingHttpHeaders; body: string };

/** A tenant's receiver on 127.0.0.1: records every request exactly as it arrived and answers with `status`. */
async function receiver() {
  const received: Received[] = [];
  const state = { received, status: 204, url: "", close: () => {} };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(state.status, { "content-type": "text/plain" });
      response.end(state.status >= 300 ? "internal error, echoing the payload back: " + Buffer.concat(chunks).toString("utf8") : "");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/attest/webhooks`;
  state.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return state;
}

/** The check a receiver makes, written here from API.md with node:crypto alone. */
function signatureValid(header: string | undefined, rawBody: string, secret: string): { valid: boolean; t: number } {
  const parts = Object.fromEntries((header ?? "").split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  const expected = createHmac("sha256", secret).update(`${parts.t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return { valid: given.length === expected.length && timingSafeEqual(given, expected), t };
}

describe("webhook delivery", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  let transports: Transports;
  let server: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    // What the server runs with when no SMTP relay or SMS provider is configured.
    transports = transportsFromEnv(t.db, { SMTP_URL: undefined, SMTP_FROM: "Attest <no-reply@attest.test>", SMS_HTTP_URL: undefined, SMS_HTTP_TOKEN: undefined, deployed: false });
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    await t.db.delete(outboxAttempts);
    await t.db.delete(outboxMessages);
    await t.db.delete(webhookEndpoints);
    await t.db.delete(devMailbox);
    server = await receiver();
  });
  afterEach(() => server.close());

  const registerReceiver = () => registerWebhookEndpoint(t.db, admin, { tenantId: acme, url: server.url, description: "Test receiver", eventTypes: ["customer.updated"] });
  const emit = () => emitWebhook(t.db, acme, "customer.updated", { customer: "ACME-0001", version: 7, changed: ["phone"] }, T0);
  const messageRow = async () => (await t.db.select().from(outboxMessages).where(eq(outboxMessages.channel, "webhook")))[0]!;
  const attemptsOf = (id: string) => t.db.select().from(outboxAttempts).where(eq(outboxAttempts.messageId, id)).orderBy(asc(outboxAttempts.attemptedAt));

  it("posts the queued JSON, signed with the endpoint's secret, to the endpoint and never to the dev mailbox", async () => {
    const { secret } = await registerReceiver();
    const eventId = await emit();
    const stored = await messageRow();

    expect(await deliverDueMessages(t.db, transports, { now: T0 })).toEqual({ claimed: 1, delivered: 1, retried: 0, failed: 0 });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request).toMatchObject({ method: "POST", url: "/attest/webhooks" });
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.body).toBe(stored.body);
    expect(JSON.parse(request!.body)).toEqual({ id: eventId, type: "customer.updated", occurredAt: T0.toISOString(), tenant: "acme", data: { customer: "ACME-0001", version: 7, changed: ["phone"] } });

    const signature = request!.headers["attest-signature"] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const { valid, t: signedAt } = signatureValid(signature, request!.body, secret);
    expect(valid).toBe(true);
    // Signed when sent (the receiver's replay window), not when queued.
    expect(Math.abs(signedAt - Date.now() / 1000)).toBeLessThan(60);
    expect(signatureValid(signature, request!.body.replace("ACME-0001", "ACME-0002"), secret).valid).toBe(false);
    expect(signatureValid(signature, request!.body, "whsec_another").valid).toBe(false);

    expect(await messageRow()).toMatchObject({ status: "delivered", attempts: 1, deliveredAt: T0 });
    expect(await attemptsOf(stored.id)).toMatchObject([{ ok: true, error: null, attemptedAt: T0 }]);
    expect(await t.db.select().from(devMailbox)).toEqual([]);

    const [delivery] = await recentWebhookDeliveries(t.db, admin);
    expect(delivery).toMatchObject({ id: stored.id, eventId, eventType: "customer.updated", status: "delivered", attempts: 1, lastError: null });
    expect(delivery!.attemptLog).toHaveLength(1);
    expect(delivery!.attemptLog[0]).toMatchObject({ ok: true, error: null, attemptedAt: T0 });
    expect(delivery!.attemptLog[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("retries an endpoint answering 500 with backoff, logging each attempt without the answer, and gives up after 24 hours", async () => {
    await registerReceiver();
    await emit();
    server.status = 500;

    expect(await deliverDueMessages(t.db, transports, { now: T0 })).toEqual({ claimed: 1, delivered: 0, retried: 1, failed: 0 });
    let row = await messageRow();
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });
    const firstDelay = row.nextAttemptAt.getTime() - T0.getTime();
    expect(firstDelay).toBeGreaterThanOrEqual(27_000);
    expect(firstDelay).toBeLessThanOrEqual(33_000);
    expect(await attemptsOf(row.id)).toMatchObject([{ ok: false, error: "HTTP 500", attemptedAt: T0 }]);
    // Not due again before its time.
    expect(await deliverDueMessages(t.db, transports, { now: new Date(row.nextAttemptAt.getTime() - 1) })).toMatchObject({ claimed: 0 });

    while (row.status === "pending" && row.attempts < 100) {
      await deliverDueMessages(t.db, transports, { now: row.nextAttemptAt });
      row = await messageRow();
    }
    expect(row).toMatchObject({ status: "failed", deliveredAt: null, lastError: "HTTP 500" });
    expect(row.giveUpAt).toEqual(new Date(T0.getTime() + DAY));
    const attempts = await attemptsOf(row.id);
    expect(attempts).toHaveLength(row.attempts);
    expect(server.received).toHaveLength(row.attempts);
    expect(attempts.every((a) => !a.ok)).toBe(true);
    const last = attempts.at(-1)!.attemptedAt.getTime();
    expect(last).toBeLessThanOrEqual(T0.getTime() + DAY);
    expect(last).toBeGreaterThan(T0.getTime() + DAY - 2 * 60 * 60 * 1000); // kept trying for most of the day
    // What the receiver answered (here, the payload echoed back) is not in the log.
    expect(JSON.stringify(attempts)).not.toContain("ACME-0001");
    expect(await deliverDueMessages(t.db, transports, { now: new Date(T0.getTime() + 2 * DAY) })).toMatchObject({ claimed: 0 });

    const [delivery] = await recentWebhookDeliveries(t.db, admin);
    expect(delivery).toMatchObject({ status: "failed", attempts: row.attempts });
    expect(delivery!.attemptLog).toHaveLength(row.attempts);
  });

  it("treats a redirect as a failure to retry, not as delivered", async () => {
    await registerReceiver();
    await emit();
    server.status = 302;
    expect(await deliverDueMessages(t.db, transports, { now: T0 })).toMatchObject({ retried: 1 });
    expect((await messageRow()).lastError).toBe("HTTP 302");
  });

  it("sends nothing to a disabled endpoint: what was queued fails at once, nothing new is queued", async () => {
    const { id } = await registerReceiver();
    await emit();
    await disableWebhookEndpoint(t.db, admin, id);
    expect(await emit()).toBeNull();
    expect(await t.db.select().from(outboxMessages)).toHaveLength(1);

    expect(await deliverDueMessages(t.db, transports, { now: T0 })).toEqual({ claimed: 1, delivered: 0, retried: 0, failed: 1 });
    expect(server.received).toEqual([]);
    const row = await messageRow();
    expect(row).toMatchObject({ status: "failed", attempts: 1, lastError: "the webhook endpoint was disabled" });
    expect(await attemptsOf(row.id)).toMatchObject([{ ok: false, error: "the webhook endpoint was disabled" }]);
  });

  it("fails a message whose endpoint does not exist, and delivers webhooks even with a worker given only email and SMS", async () => {
    await registerReceiver();
    await emit();
    await t.db.update(outboxMessages).set({ recipient: "00000000-0000-4000-8000-00000000dead" });
    await emit();
    const mailOnly: Transports = { email: transports.email, sms: transports.sms };
    expect(await deliverDueMessages(t.db, mailOnly, { now: T0 })).toEqual({ claimed: 2, delivered: 1, retried: 0, failed: 1 });
    expect(server.received).toHaveLength(1);
    const failed = (await t.db.select().from(outboxMessages).where(eq(outboxMessages.status, "failed")))[0]!;
    expect(failed.lastError).toBe("the webhook endpoint does not exist");
  });

  describe("the target, checked at every delivery", () => {
    const port = () => new URL(server.url).port;
    const registerName = (url: string) =>
      registerWebhookEndpoint(t.db, admin, { tenantId: acme, url, description: "By name", eventTypes: ["customer.updated"] }, { targets: offlineTargets({ "crm.acme.test": ["127.0.0.1"] }) });
    /** A worker whose webhooks resolve through `resolve`, as in a deployment unless told otherwise. */
    const resolvingWith = (resolve: ResolveHost, { loopbackAllowed = false, timeoutMs }: { loopbackAllowed?: boolean; timeoutMs?: number } = {}): Transports => ({
      ...transports,
      webhook: webhookTransport(t.db, { targets: { resolve, loopbackAllowed }, timeoutMs }),
    });
    const attemptErrors = async () => (await t.db.select().from(outboxAttempts).orderBy(asc(outboxAttempts.attemptedAt))).map((a) => a.error);

    it("connects to the address it checked, never resolving the name again, with the name in the Host header", async () => {
      await registerName(`http://crm.acme.test:${port()}/attest/webhooks`);
      await emit();
      // Were the name looked up again to connect, it would lead to 127.0.0.2, where nothing listens.
      const answers = [["127.0.0.1"]];
      const lookups: string[] = [];
      const rebinding: ResolveHost = async (hostname) => {
        lookups.push(hostname);
        return answers.shift() ?? ["127.0.0.2"];
      };
      expect(await deliverDueMessages(t.db, resolvingWith(rebinding, { loopbackAllowed: true }), { now: T0 })).toMatchObject({ delivered: 1 });
      expect(lookups).toEqual(["crm.acme.test"]);
      expect(server.received).toHaveLength(1);
      expect(server.received[0]!.headers.host).toBe(`crm.acme.test:${port()}`);
    });

    it("refuses a target accepted once that now resolves to a private address: nothing is sent, the log says why in general terms", async () => {
      await registerName(`http://crm.acme.test:${port()}/attest/webhooks`);
      // In a deployment, every answer below is refused; this machine stands in for the private ranges
      // (each checked at registration), so that nothing here could ever leave it.
      const answers = [["127.0.0.1"], ["::1"], ["::ffff:127.0.0.1"], [PUBLIC_TEST_ADDRESS, "127.0.0.1"]];
      for (const answer of answers) {
        await emit();
        expect(await deliverDueMessages(t.db, resolvingWith(async () => answer), { now: T0 }), answer.join()).toMatchObject({ claimed: 1, retried: 1 });
      }
      expect(server.received).toEqual([]);
      expect(await attemptErrors()).toEqual(answers.map(() => "refused: the address is not public"));
      expect((await messageRow()).lastError).toBe("refused: the address is not public");
    });

    it("logs a generic reason for each failure, never the socket's message, the address or the port", async () => {
      const closed = await receiver();
      closed.close();
      const silent = createServer(() => {}); // accepts, and never answers
      silent.listen(0, "127.0.0.1");
      await once(silent, "listening");
      const silentPort = (silent.address() as AddressInfo).port;
      const local = offlineTargets({}, { loopbackAllowed: true });
      try {
        const cases: [url: string, transports: Transports, error: string][] = [
          [closed.url, transports, "connection refused"],
          [server.url.replace("http:", "https:"), transports, "TLS error"],
          [`http://127.0.0.1:${silentPort}/hook`, resolvingWith(local.resolve, { loopbackAllowed: true, timeoutMs: 50 }), "timed out"],
          [`http://gone.acme.test:${port()}/hook`, resolvingWith(async () => Promise.reject(new Error("getaddrinfo EAI_AGAIN gone.acme.test"))), "DNS lookup failed"],
        ];
        for (const [url, via, error] of cases) {
          await t.db.delete(outboxMessages);
          await t.db.delete(webhookEndpoints);
          await registerWebhookEndpoint(t.db, admin, { tenantId: acme, url, description: "Failing", eventTypes: ["customer.updated"] }, { targets: offlineTargets({ "gone.acme.test": ["127.0.0.1"] }) });
          await emit();
          expect(await deliverDueMessages(t.db, via, { now: T0 }), error).toMatchObject({ retried: 1 });
          expect((await messageRow()).lastError, url).toBe(error);
        }
        const logged = JSON.stringify(await attemptErrors());
        expect(logged).not.toMatch(/127\.0\.0\.1|ECONN|EPROTO|EAI_|getaddrinfo|ssl|version/i);
        expect(logged).not.toContain(port());
      } finally {
        silent.closeAllConnections();
        silent.close();
      }
    });
  });
});
