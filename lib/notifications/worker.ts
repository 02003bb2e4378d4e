import { and, eq, lt, lte, or, sql } from "drizzle-orm";
import type { Connection, Db } from "@/db/client";
import { outboxAttempts, outboxMessages, type OutboxMessage } from "@/db/schema";
import { describeError } from "@/lib/errors";
import { startPeriodicJob } from "@/lib/jobs/periodic";
import { webhookTransport } from "@/lib/webhooks/delivery";
import { maskedRecipient, OUTBOX_CHANNEL, UndeliverableError } from "./outbox";
import { isSealed, unseal } from "./sealed";
import { transportsFromEnv, type Transports } from "./transports";

/** How long a claimed message is held. Transports time out well inside it, so a send never outlives its claim. */
const CLAIM_MS = 60_000;
const FIRST_RETRY_MS = 30_000;
const LONGEST_RETRY_MS = 60 * 60_000;
/** Spreads retries out, so that messages that failed together (a relay outage) do not all come back at once. */
const RETRY_JITTER = 0.1;
const ERROR_MAX_LENGTH = 500;
const DEFAULT_BATCH_SIZE = 20;

export type DeliverySummary = { claimed: number; delivered: number; retried: number; failed: number };
type Outcome = Exclude<keyof DeliverySummary, "claimed">;

/** Wait before the next attempt after `attempts` failed ones: 30 s doubling up to an hour, ±10%. */
export function retryDelayMs(attempts: number, random = Math.random()): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), LONGEST_RETRY_MS);
  return Math.round(base * (1 + RETRY_JITTER * (2 * random - 1)));
}

/**
 * Claims due messages, and those whose worker died holding them, in one statement: SKIP LOCKED lets
 * any number of workers (replicas, `npm run worker`) claim side by side without waiting on, or taking,
 * each other's messages. The claim commits at once; sending happens outside any transaction.
 */
async function claimDueMessages(db: Db, now: Date, batchSize: number): Promise<OutboxMessage[]> {
  const due = db
    .select({ tenantId: outboxMessages.tenantId, id: outboxMessages.id })
    .from(outboxMessages)
    .where(
      or(
        and(eq(outboxMessages.status, "pending"), lte(outboxMessages.nextAttemptAt, now)),
        and(eq(outboxMessages.status, "sending"), lt(outboxMessages.lockedUntil, now)),
      ),
    )
    .orderBy(outboxMessages.nextAttemptAt)
    .limit(batchSize)
    .for("update", { skipLocked: true });
  return db
    .update(outboxMessages)
    .set({ status: "sending", lockedUntil: new Date(now.getTime() + CLAIM_MS) })
    .where(sql`(${outboxMessages.tenantId}, ${outboxMessages.id}) in ${due}`)
    .returning();
}

async function deliverOne(db: Db, transports: Transports, message: OutboxMessage, now: Date): Promise<Outcome> {
  const started = performance.now();
  let clearBody: string | undefined;
  // A sealed recipient (the notice of an erasure: see enqueueMessage) is opened only to send.
  let clearRecipient = message.recipient;
  let sent = false;
  let failure: unknown;
  try {
    if (message.body === null) throw new Error("the message has no body");
    clearRecipient = unseal(message.recipient);
    clearBody = unseal(message.body);
    const transport = message.channel === "webhook" ? (transports.webhook ?? webhookTransport(db)) : transports[message.channel];
    await transport.send({
      channel: message.channel,
      recipient: clearRecipient,
      subject: message.subject,
      body: clearBody,
      tenantId: message.tenantId,
      messageId: message.id,
      sensitive: message.sensitive,
    });
    sent = true;
  } catch (error) {
    failure = error;
  }
  const durationMs = Math.round(performance.now() - started);
  const attempts = message.attempts + 1;
  const thisMessage = and(eq(outboxMessages.tenantId, message.tenantId), eq(outboxMessages.id, message.id));
  // A sensitive body (a one-time code) is kept only while it may still be sent.
  const clearSensitiveBody = message.sensitive ? { body: null } : {};
  // A sealed recipient is needed only while the message may still be sent; then only its mask stays.
  const recipientSealed = isSealed(message.recipient);
  const settled = { ...clearSensitiveBody, ...(recipientSealed ? { recipient: maskedRecipient(message.channel, clearRecipient) } : {}) };

  return db.transaction(async (tx) => {
    const described = sent ? null : describeError(failure, { redact: clearBody, maxLength: ERROR_MAX_LENGTH });
    // A provider's error may quote the address ("550 no such user …"): a sealed one must not rest in clear there either.
    const error = described && recipientSealed ? described.replaceAll(clearRecipient, "[recipient]") : described;
    await tx.insert(outboxAttempts).values({ tenantId: message.tenantId, messageId: message.id, attemptedAt: now, ok: sent, error, durationMs });
    if (sent) {
      await tx.update(outboxMessages).set({ status: "delivered", deliveredAt: now, attempts, lockedUntil: null, ...settled }).where(thisMessage);
      return "delivered";
    }
    const nextAttemptAt = new Date(now.getTime() + retryDelayMs(attempts));
    if (nextAttemptAt > message.giveUpAt || failure instanceof UndeliverableError) {
      await tx.update(outboxMessages).set({ status: "failed", attempts, lastError: error, lockedUntil: null, ...settled }).where(thisMessage);
      return "failed";
    }
    await tx.update(outboxMessages).set({ status: "pending", attempts, lastError: error, nextAttemptAt, lockedUntil: null }).where(thisMessage);
    return "retried";
  });
}

/** Delivers the messages that are due now: one batch, sent in parallel, each attempt recorded. */
export async function deliverDueMessages(db: Db, transports: Transports, options: { now?: Date; batchSize?: number } = {}): Promise<DeliverySummary> {
  const now = options.now ?? new Date();
  const claimed = await claimDueMessages(db, now, options.batchSize ?? DEFAULT_BATCH_SIZE);
  // In parallel, so that the last message of a batch is not still waiting for its turn when its claim runs out.
  const outcomes = await Promise.allSettled(claimed.map((message) => deliverOne(db, transports, message, now)));
  const summary: DeliverySummary = { claimed: claimed.length, delivered: 0, retried: 0, failed: 0 };
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") throw outcome.reason; // recording failed: the claim runs out and another run retries
    summary[outcome.value] += 1;
  }
  return summary;
}

/**
 * Delivers messages as soon as they are queued (woken by enqueueMessage's NOTIFY, whichever process
 * queued them), and every `intervalMs` for retries and for anything a lost notification left behind;
 * a full batch is followed at once by the next.
 */
export function startOutboxWorker(
  getConnectionFn: () => Promise<Connection>,
  intervalMs: number,
  transportsFor: (db: Db) => Transports = transportsFromEnv,
): () => Promise<void> {
  let transports: Transports | undefined;
  const deliverBatch = async () => {
    const { db } = await getConnectionFn();
    transports ??= transportsFor(db);
    const summary = await deliverDueMessages(db, transports, { batchSize: DEFAULT_BATCH_SIZE });
    if (summary.failed > 0) console.warn(`Outbox: ${summary.failed} message(s) given up on; their last error is in outbox_messages.last_error`);
    return { moreWaiting: summary.claimed === DEFAULT_BATCH_SIZE };
  };
  const wakeUps = async (runNow: () => void) => (await getConnectionFn()).listen(OUTBOX_CHANNEL, runNow);
  return startPeriodicJob("Outbox delivery run", intervalMs, deliverBatch, wakeUps);
}
