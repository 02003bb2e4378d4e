import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { outboxMessages, type OutboxMessage } from "@/db/schema";
import { maskEmail, maskPhone } from "@/lib/customers/masking";
import { seal } from "./sealed";

export type NewMessage = {
  tenantId: string;
  channel: "email" | "sms" | "webhook";
  template: string;
  recipient: string;
  subject?: string | null;
  body: string;
  /** Sealed at rest and cleared after delivery: one-time codes, reset links. */
  sensitive?: boolean;
  /**
   * The recipient sealed too, and masked once the message is delivered or given up on: for a message
   * to an address no table may hold in clear any more (the notice of an erasure). Needs `sensitive`.
   */
  sealRecipient?: boolean;
  customerId?: string | null;
  interactionId?: string | null;
  /** How long the message is worth delivering: retries stop after it. A day unless the sender says less (a one-time code). */
  usefulForMs?: number;
};

/** Thrown by a transport when retrying cannot help (a disabled webhook endpoint): the worker fails the message at once. */
export class UndeliverableError extends Error {}

/** Retries stop after a day: a notice that has not arrived by then is reported as failed. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;

/** The channel on which a queued message wakes the outbox workers (see startOutboxWorker). */
export const OUTBOX_CHANNEL = "attest_outbox";

/**
 * Queues a message. Call it with the transaction that makes the change the message tells of. The
 * workers are told at once, by a NOTIFY that the database sends when (and only if) that transaction
 * commits: to this process and to every replica and `npm run worker` listening.
 */
export async function enqueueMessage(tx: Db, message: NewMessage, now = new Date()): Promise<string> {
  const sensitive = message.sensitive ?? false;
  if (message.sealRecipient && !sensitive) throw new Error("a sealed recipient needs a sensitive message");
  const [row] = await tx
    .insert(outboxMessages)
    .values({
      tenantId: message.tenantId,
      channel: message.channel,
      template: message.template,
      recipient: message.sealRecipient ? seal(message.recipient) : message.recipient,
      subject: message.subject ?? null,
      body: sensitive ? seal(message.body) : message.body,
      sensitive,
      customerId: message.customerId ?? null,
      interactionId: message.interactionId ?? null,
      nextAttemptAt: now,
      giveUpAt: new Date(now.getTime() + Math.min(message.usefulForMs ?? GIVE_UP_AFTER_MS, GIVE_UP_AFTER_MS)),
      createdAt: now,
    })
    .returning({ id: outboxMessages.id });
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, ${row!.id})`);
  return row!.id;
}

/** An email or phone recipient as it may stay on record once nobody needs to send to it. */
export function maskedRecipient(channel: OutboxMessage["channel"], recipient: string): string {
  if (channel === "email") return maskEmail(recipient) ?? "•••";
  if (channel === "sms") return maskPhone(recipient) ?? "•••";
  return recipient; // a webhook's recipient is the endpoint's id
}
