import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { webhookEndpoints } from "@/db/schema";
import { UndeliverableError } from "@/lib/notifications/outbox";
import { unseal } from "@/lib/notifications/sealed";
import type { Transport } from "@/lib/notifications/transports";
import {
  checkWebhookTarget,
  defaultTargetPolicy,
  TargetRefusedError,
  type CheckedTarget,
  type RefusalReason,
  type TargetPolicy,
} from "./targets";

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

/** What the delivery log says of a refused target: the reason, never the addresses a name resolved to. */
const REFUSED: Record<RefusalReason, string> = {
  scheme: "refused: plain http is allowed only to this machine, outside production",
  not_found: "DNS lookup failed",
  not_public: "refused: the address is not public",
};

/** The codes of Node's TLS and OpenSSL failures: a bad certificate, a wrong name, no TLS at all. */
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_|EPROTO)/;

/**
 * A failed delivery as the attempt log keeps it: a kind of failure, never the socket's or TLS
 * library's message (which names addresses and ports, and would tell an admin what lies behind a name).
 */
export function deliveryFailure(error: unknown): string {
  if (error instanceof TargetRefusedError) return REFUSED[error.reason];
  const { name, code } = (error ?? {}) as { name?: string; code?: unknown };
  if (name === "AbortError" || name === "TimeoutError" || code === "ETIMEDOUT") return "timed out";
  if (typeof code !== "string") return "delivery failed";
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection reset";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "unreachable";
  if (TLS_FAILURE.test(code)) return "TLS error";
  return "delivery failed";
}

type DeliveryOptions = { clock?: () => Date; targets?: TargetPolicy; timeoutMs?: number };

/**
 * Posts one queued event to its endpoint (the message's recipient is the endpoint's id), signed with
 * the endpoint's secret at the moment of sending. The endpoint's host is resolved and checked at every
 * delivery, and the connection goes to the very address checked (the name kept for the Host header and
 * TLS), so a DNS answer that changes between check and connect cannot lead it inward. Any answer but
 * 2xx throws, and the worker retries; a disabled or deleted endpoint fails the message for good. The
 * same in every mode: a webhook never goes to the dev mailbox.
 */
export function webhookTransport(db: Db, options: DeliveryOptions = {}): Transport {
  const { clock = () => new Date(), targets = defaultTargetPolicy(), timeoutMs = WEBHOOK_TIMEOUT_MS } = options;
  return {
    async send(message) {
      const [endpoint] = await db
        .select({ url: webhookEndpoints.url, secretSealed: webhookEndpoints.secretSealed, disabledAt: webhookEndpoints.disabledAt })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.tenantId, message.tenantId), eq(webhookEndpoints.id, message.recipient)));
      if (!endpoint) throw new UndeliverableError("the webhook endpoint does not exist");
      if (endpoint.disabledAt) throw new UndeliverableError("the webhook endpoint was disabled");
      const t = Math.floor(clock().getTime() / 1000);
      const headers = {
        "content-type": "application/json",
        "user-agent": "Attest-Webhooks/1",
        "attest-signature": webhookSignature(unseal(endpoint.secretSealed), message.body, t),
      };
      let status: number;
      try {
        status = await post(await checkWebhookTarget(endpoint.url, targets), headers, message.body, timeoutMs);
      } catch (error) {
        throw new Error(deliveryFailure(error));
      }
      // A redirect is a failure rather than followed: the registered address is the only one trusted.
      if (status < 200 || status > 299) throw new Error(`HTTP ${status}`);
    },
  };
}

/**
 * One POST to the checked address, on a connection of its own (a pooled one could have been opened to
 * an address checked earlier). Resolves with the status; the answer's content is not read: it is the
 * receiver's, and could echo the event back.
 */
function post(
  { url, address, family }: CheckedTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  // The socket's look-up answers with the checked address, whatever DNS would say now.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
      method: "POST",
      headers: { ...headers, "content-length": Buffer.byteLength(body) },
      lookup: pinned,
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on("response", (response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    request.on("error", reject);
    request.end(body);
  });
}
