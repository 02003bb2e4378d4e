import { desc, inArray } from "drizzle-orm";
import { createTransport } from "nodemailer";
import type { Db } from "@/db/client";
import { devMailbox, type OutboxMessage } from "@/db/schema";
import { tenantScope, type Actor } from "@/lib/actor";
import { env, type Env } from "@/lib/env";
import { webhookTransport } from "@/lib/webhooks/delivery";
import { defaultTargetPolicy } from "@/lib/webhooks/targets";
import { seal, unseal } from "./sealed";

/** One message as a transport sees it: the body in clear, opened from the outbox just before sending. */
export type OutgoingMessage = {
  channel: OutboxMessage["channel"];
  recipient: string;
  subject: string | null;
  body: string;
  tenantId: string;
  messageId: string;
  sensitive: boolean;
};

/** Delivers one message or throws; the worker records the outcome and retries. */
export type Transport = { send(message: OutgoingMessage): Promise<void> };

/**
 * Email and SMS depend on the settings; webhooks go out the same way in every mode, so a set without
 * one (a test's) still delivers them with the worker's own (see worker.ts).
 */
export type Transports = { email: Transport; sms: Transport; webhook?: Transport };

/** Development and tests: messages land in the dev_mailbox table, shown at /dev/mailbox. */
export function devMailboxTransport(db: Db): Transport {
  return {
    async send(message) {
      await db.insert(devMailbox).values({
        tenantId: message.tenantId,
        messageId: message.messageId,
        channel: message.channel,
        // The worker hands over the clear text; a one-time code must not come to rest in clear here
        // either, nor the address of a customer who asked to be erased (whose notice is sensitive).
        recipient: message.sensitive ? seal(message.recipient) : message.recipient,
        subject: message.subject,
        body: message.sensitive ? seal(message.body) : message.body,
        sensitive: message.sensitive,
      }).onConflictDoNothing({ target: devMailbox.messageId });
    },
  };
}

/**
 * A claimed message is held for a minute (see worker.ts). nodemailer's own timeouts run to minutes, so
 * a slow relay could outlast the claim and a second worker would send the message again; these bound
 * every step well inside it. A value given in SMTP_URL's query string wins.
 */
const SMTP_TIMEOUTS_MS = { dnsTimeout: 10_000, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

function withSmtpTimeouts(url: string): string {
  const parsed = new URL(url);
  for (const [option, ms] of Object.entries(SMTP_TIMEOUTS_MS)) {
    if (!parsed.searchParams.has(option)) parsed.searchParams.set(option, String(ms));
  }
  return parsed.toString();
}

/** Email through an SMTP relay, `smtp://user:pass@host:587` or `smtps://…:465`. */
export function smtpTransport(url: string, from: string): Transport {
  const mailer = createTransport(withSmtpTimeouts(url));
  return {
    async send(message) {
      await mailer.sendMail({ from, to: message.recipient, subject: message.subject ?? "", text: message.body });
    },
  };
}

const SMS_TIMEOUT_MS = 10_000;

/** SMS through a provider's HTTP endpoint: POST JSON `{ to, body }`, any 2xx answer means accepted. */
export function httpSmsTransport(url: string, token?: string): Transport {
  return {
    async send(message) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ to: message.recipient, body: message.body }),
        signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
      });
      // The answer's content is not read into the error: a provider may echo the message back.
      await response.body?.cancel();
      if (!response.ok) throw new Error(`SMS provider answered HTTP ${response.status} ${response.statusText}`.trim());
    },
  };
}

type TransportSettings = Pick<Env, "SMTP_URL" | "SMTP_FROM" | "SMS_HTTP_URL" | "SMS_HTTP_TOKEN" | "deployed">;

/** A deployment must not report a message delivered into a mailbox nobody reads: it fails, visibly, and is retried. */
function notConfigured(setting: string): Transport {
  return {
    async send() {
      throw new Error(`${setting} is not set, so this message cannot be delivered`);
    },
  };
}

/**
 * The transports configured for this process: a real one where its URL is set; otherwise the dev
 * mailbox, except in a deployment, where delivery fails until the setting is made.
 */
export function transportsFromEnv(db: Db, settings: TransportSettings = env): Transports {
  const fallback = (setting: string) => (settings.deployed ? notConfigured(setting) : devMailboxTransport(db));
  return {
    email: settings.SMTP_URL ? smtpTransport(settings.SMTP_URL, settings.SMTP_FROM) : fallback("SMTP_URL"),
    sms: settings.SMS_HTTP_URL ? httpSmsTransport(settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN) : fallback("SMS_HTTP_URL"),
    // Never the dev mailbox: a tenant's own endpoint is the only place a webhook can go.
    webhook: webhookTransport(db, { targets: { ...defaultTargetPolicy(), loopbackAllowed: !settings.deployed } }),
  };
}

/**
 * Whether /dev/mailbox exists: in development and tests, and in the demo; under NODE_ENV=production
 * never otherwise, whatever the database (`next start` is production, so `npm start` marks its demo).
 */
export function devMailboxExists(settings: Pick<Env, "production" | "demo"> = env): boolean {
  return !settings.production || settings.demo;
}

export type DevMailboxEntry = {
  id: string;
  tenantId: string;
  messageId: string;
  /** Webhooks never land here (see transportsFromEnv). */
  channel: "email" | "sms";
  /** Null when the message is sealed and the reader is not an admin (see readDevMailbox). */
  recipient: string | null;
  subject: string | null;
  /** In clear, like the recipient, so that a developer can read what a customer would receive; null as the recipient. */
  body: string | null;
  sensitive: boolean;
  receivedAt: Date;
};

/**
 * The newest messages in the dev mailbox for the tenants the actor serves, newest first. A sealed
 * message (a one-time code, a download link, an erased customer's notice) is opened for admins only:
 * an agent who could read the code sent to the caller could pass verification alone.
 */
export async function readDevMailbox(db: Db, actor: Actor, limit = 100): Promise<DevMailboxEntry[]> {
  const opensSealed = actor.type === "system" || (actor.type === "staff" && actor.role === "admin");
  const scope = tenantScope(actor);
  if (scope?.length === 0) return [];
  const rows = await db
    .select()
    .from(devMailbox)
    .where(scope ? inArray(devMailbox.tenantId, scope) : undefined)
    .orderBy(desc(devMailbox.receivedAt))
    .limit(limit);
  return rows.flatMap((row) => {
    if (row.channel === "webhook") return [];
    const withheld = row.sensitive && !opensSealed;
    return [{ ...row, channel: row.channel, recipient: withheld ? null : unseal(row.recipient), body: withheld ? null : unseal(row.body) }];
  });
}
