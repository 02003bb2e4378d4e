import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { webhookEndpoints } from "@/db/schema";
import { UndeliverableError } from "@/lib/notifications/outbox";
import { unseal } from "@/lib/notifications/sealed";
import type { Transport } from "@/lib/notifications/transports";

/** Well inside the worker's 60 s claim, so that a slow receiver is never sent the same delivery twice at once. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The `Attest-Signature` header of API.md: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
 * keyed with the endpoint's secret exactly as it was shown. The time is signed too, so that a receiver
 * can refuse an old delivery replayed at it.
 */
export function webhookSignature(secret: string, rawBody: string, unixSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`, "utf8").digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * Posts one queued event to its endpoint (the message's recipient is the endpoint's id), signed with
 * the endpoint's secret at the moment of sending. Any answer but 2xx throws, and the worker retries; a
 * disabled or deleted endpoint fails the message for good. The same in every mode: a webhook never goes
 * to the dev mailbox.
 */
export function webhookTransport(db: Db, clock: () => Date = () => new Date()): Transport {
  return {
    async send(message) {
      const [endpoint] = await db
        .select({ url: webhookEndpoints.url, secretSealed: webhookEndpoints.secretSealed, disabledAt: webhookEndpoints.disabledAt })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.tenantId, message.tenantId), eq(webhookEndpoints.id, message.recipient)));
      if (!endpoint) throw new UndeliverableError("the webhook endpoint does not exist");
      if (endpoint.disabledAt) throw new UndeliverableError("the webhook endpoint was disabled");
      const t = Math.floor(clock().getTime() / 1000);
      const response = await fetch(endpoint.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Attest-Webhooks/1",
          "attest-signature": webhookSignature(unseal(endpoint.secretSealed), message.body, t),
        },
        body: message.body,
        // A redirect is answered as a failure rather than followed: the registered address is the only one trusted.
        redirect: "manual",
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      // The answer's content is not kept: it is the receiver's, and could echo the event back.
      await response.body?.cancel();
      if (response.status < 200 || response.status > 299) throw new Error(`the endpoint answered HTTP ${response.status} ${response.statusText}`.trim());
    },
  };
}
