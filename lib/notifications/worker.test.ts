import { asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connect, queryRows, type Connection } from "@/db/client";
import { devMailbox, outboxAttempts, outboxMessages } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { env } from "@/lib/env";
import { enqueueMessage, OUTBOX_CHANNEL, type NewMessage } from "./outbox";
import { isSealed } from "./sealed";
import { devMailboxTransport, readDevMailbox, type OutgoingMessage, type Transport, type Transports } from "./transports";
import { deliverDueMessages, retryDelayMs, startOutboxWorker } from "./worker";

const T0 = new Date("2030-01-01T09:00:00Z");
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);
const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;

/** A relay that is down: every send fails with the same error. */
function failingTransport(error = "relay refused: 554 service unavailable"): Transport & { tried: OutgoingMessage[] } {
  const tried: OutgoingMessage[] = [];
  return {
    tried,
    async send(message) {
      tried.push(message);
      throw new Error(error);
    },
  };
}

const both = (transport: Transport): Transports => ({ email: transport, sms: transport });

describe("outbox delivery", () => {
  let t: TestDatabase;
  let acme: string;
  let mailbox: Transports;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    mailbox = both(devMailboxTransport(t.db));
  });
  afterAll(() => t.close());
  // Each test starts from an empty outbox, so that one test's leftovers are never due in another's.
  beforeEach(async () => {
    await t.db.delete(outboxAttempts);
    await t.db.delete(outboxMessages);
    await t.db.delete(devMailbox);
  });

  const notice = (overrides: Partial<NewMessage> = {}): NewMessage => ({
    tenantId: acme,
    channel: "email",
    template: "contact_point_changed.old",
    recipient: "ann.smith@example.com",
    subject: "Your email address was changed",
    body: "The email address on your Acme Energy account was changed. If this was not you, call us.",
    ...overrides,
  });
  const messageRow = async (id: string) => (await t.db.select().from(outboxMessages).where(eq(outboxMessages.id, id)))[0]!;
  const attemptsOf = (id: string) => t.db.select().from(outboxAttempts).where(eq(outboxAttempts.messageId, id)).orderBy(asc(outboxAttempts.attemptedAt));
  const mailboxRows = () => t.db.select().from(devMailbox);

  it("never delivers a message whose transaction failed: it is not in the outbox at all", async () => {
    const failedChange = t.db.transaction(async (tx) => {
      await enqueueMessage(tx, notice(), T0);
      throw new Error("the change was refused");
    });
    await expect(failedChange).rejects.toThrow("the change was refused");
    expect(await t.db.select().from(outboxMessages)).toEqual([]);
    expect(await deliverDueMessages(t.db, mailbox, { now: at(T0, HOUR) })).toEqual({ claimed: 0, delivered: 0, retried: 0, failed: 0 });
    expect(await mailboxRows()).toEqual([]);
  });

  it("delivers a due message to the dev mailbox once, recording the attempt", async () => {
    const id = await enqueueMessage(t.db, notice(), T0);
    expect(await deliverDueMessages(t.db, mailbox, { now: at(T0, -SECOND) })).toMatchObject({ claimed: 0 });

    expect(await deliverDueMessages(t.db, mailbox, { now: T0 })).toEqual({ claimed: 1, delivered: 1, retried: 0, failed: 0 });
    expect(await messageRow(id)).toMatchObject({ status: "delivered", deliveredAt: T0, attempts: 1, lockedUntil: null, body: notice().body });
    const attempts = await attemptsOf(id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ tenantId: acme, ok: true, error: null, attemptedAt: T0 });
    expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await mailboxRows()).toMatchObject([
      { tenantId: acme, messageId: id, channel: "email", recipient: "ann.smith@example.com", subject: notice().subject, body: notice().body, sensitive: false },
    ]);

    expect(await deliverDueMessages(t.db, mailbox, { now: at(T0, HOUR) })).toMatchObject({ claimed: 0 });
    expect(await mailboxRows()).toHaveLength(1);
  });

  it("retries a failing message with a growing backoff, records every attempt, and gives up after give_up_at", async () => {
    const id = await enqueueMessage(t.db, notice(), T0);
    const relayDown = failingTransport();
    const delays: number[] = [];
    let row = await messageRow(id);
    while (row.status === "pending" && delays.length < 100) {
      const due = row.nextAttemptAt;
      expect(await deliverDueMessages(t.db, both(relayDown), { now: at(due, -1) })).toMatchObject({ claimed: 0 });
      const summary = await deliverDueMessages(t.db, both(relayDown), { now: due });
      row = await messageRow(id);
      if (row.status === "pending") {
        expect(summary).toEqual({ claimed: 1, delivered: 0, retried: 1, failed: 0 });
        delays.push(row.nextAttemptAt.getTime() - due.getTime());
      } else {
        expect(summary).toEqual({ claimed: 1, delivered: 0, retried: 0, failed: 1 });
      }
    }

    // 30 s, 60 s, 120 s … doubling up to an hour, each ±10%.
    delays.forEach((delay, i) => {
      const base = Math.min(30 * SECOND * 2 ** i, HOUR);
      expect(delay).toBeGreaterThanOrEqual(base * 0.9);
      expect(delay).toBeLessThanOrEqual(base * 1.1);
    });
    for (let i = 1; i < 7; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);

    expect(row).toMatchObject({ status: "failed", attempts: delays.length + 1, lastError: "relay refused: 554 service unavailable", lockedUntil: null, deliveredAt: null });
    const attempts = await attemptsOf(id);
    expect(attempts).toHaveLength(row.attempts);
    expect(attempts.every((a) => !a.ok && a.error === "relay refused: 554 service unavailable")).toBe(true);
    // It gave up because the next try, at least 54 minutes on, would have come after give_up_at.
    const lastAttemptAt = attempts.at(-1)!.attemptedAt;
    expect(lastAttemptAt.getTime()).toBeLessThanOrEqual(row.giveUpAt.getTime());
    expect(row.giveUpAt.getTime() - lastAttemptAt.getTime()).toBeLessThan(1.1 * HOUR);
    expect(relayDown.tried).toHaveLength(row.attempts);

    expect(await deliverDueMessages(t.db, both(relayDown), { now: at(row.giveUpAt, HOUR) })).toMatchObject({ claimed: 0 });
  });

  it("delivers on a later attempt after a failure", async () => {
    const id = await enqueueMessage(t.db, notice(), T0);
    let relayUp = false;
    const flaky: Transport = {
      async send(message) {
        if (!relayUp) throw new Error("connect ECONNREFUSED 192.0.2.1:25");
        await mailbox.email.send(message);
      },
    };
    expect(await deliverDueMessages(t.db, both(flaky), { now: T0 })).toMatchObject({ claimed: 1, retried: 1 });
    const retryAt = (await messageRow(id)).nextAttemptAt;
    relayUp = true;
    expect(await deliverDueMessages(t.db, both(flaky), { now: at(retryAt, -1) })).toMatchObject({ claimed: 0 });
    expect(await deliverDueMessages(t.db, both(flaky), { now: retryAt })).toMatchObject({ claimed: 1, delivered: 1 });

    expect(await messageRow(id)).toMatchObject({ status: "delivered", attempts: 2, deliveredAt: retryAt, lastError: "connect ECONNREFUSED 192.0.2.1:25" });
    expect((await attemptsOf(id)).map((a) => [a.ok, a.error])).toEqual([
      [false, "connect ECONNREFUSED 192.0.2.1:25"],
      [true, null],
    ]);
    expect(await mailboxRows()).toHaveLength(1);
  });

  it("records a failure without the message's text, and at most 500 characters of it", async () => {
    const id = await enqueueMessage(t.db, notice(), T0);
    const quoting: Transport = {
      async send(message) {
        throw new Error("rejected: " + message.body + " " + "x".repeat(1000));
      },
    };
    await deliverDueMessages(t.db, both(quoting), { now: T0 });
    const [attempt] = await attemptsOf(id);
    expect(attempt!.error).toMatch(/^rejected: \[message body\] x+$/);
    expect(attempt!.error!.length).toBe(500);
    expect((await messageRow(id)).lastError).toBe(attempt!.error);
  });

  describe("a sensitive message (a one-time code)", () => {
    const CODE = "493817";
    const code = (overrides: Partial<NewMessage> = {}) =>
      notice({ channel: "sms", template: "verification_code", recipient: "+447911123456", subject: null, body: `${CODE} is your Acme Energy verification code.`, sensitive: true, usefulForMs: 10 * 60 * 1000, ...overrides });
    /** Every row of the outbox, its attempts and the dev mailbox, as PostgreSQL renders it in text. */
    const everyRowAsText = async () =>
      (
        await queryRows<{ row: string }>(
          t.db,
          sql`select row_to_json(m)::text as row from outbox_messages m
              union all select row_to_json(a)::text from outbox_attempts a
              union all select row_to_json(d)::text from dev_mailbox d`,
        )
      )
        .map((r) => r.row)
        .join("\n");

    it("is sealed in the outbox and the dev mailbox, cleared from the outbox once delivered, and readable in the mailbox", async () => {
      const id = await enqueueMessage(t.db, code(), T0);
      const queued = await messageRow(id);
      expect(isSealed(queued.body!)).toBe(true);
      expect(await everyRowAsText()).not.toContain(CODE);

      expect(await deliverDueMessages(t.db, mailbox, { now: T0 })).toMatchObject({ delivered: 1 });
      expect(await messageRow(id)).toMatchObject({ status: "delivered", body: null });
      const [received] = await mailboxRows();
      expect(isSealed(received!.body)).toBe(true);
      expect(received!.sensitive).toBe(true);
      expect(await everyRowAsText()).not.toContain(CODE);

      const [shown] = await readDevMailbox(t.db, systemActor("test"));
      expect(shown).toMatchObject({ messageId: id, channel: "sms", recipient: "+447911123456", body: `${CODE} is your Acme Energy verification code.` });
    });

    it("is handed to the transport in clear, never quoted in an error, and cleared when given up on", async () => {
      const id = await enqueueMessage(t.db, code(), T0);
      const quoting: Transport = {
        async send(message) {
          throw new Error(`provider rejected "${message.body}"`);
        },
      };
      let row = await messageRow(id);
      while (row.status === "pending") {
        await deliverDueMessages(t.db, both(quoting), { now: row.nextAttemptAt });
        row = await messageRow(id);
      }
      // A code lives 10 minutes: 30 + 60 + 120 + 240 s of waits, and the next would pass that.
      expect(row).toMatchObject({ status: "failed", attempts: 5, body: null, lastError: 'provider rejected "[message body]"' });
      expect(await everyRowAsText()).not.toContain(CODE);
    });
  });

  it("keeps retrying a sealed link for as long as it is worth delivering: a day unless its sender says less", async () => {
    const link = await enqueueMessage(t.db, notice({ template: "consent.confirmation", sensitive: true }), T0);
    const code = await enqueueMessage(t.db, notice({ template: "verification_code", sensitive: true, usefulForMs: 10 * 60 * 1000 }), T0);
    expect((await messageRow(link)).giveUpAt).toEqual(at(T0, 24 * HOUR));
    expect((await messageRow(code)).giveUpAt).toEqual(at(T0, 10 * 60 * 1000));
    await t.db.delete(outboxMessages).where(inArray(outboxMessages.id, [link, code]));
  });

  it("never delivers a message twice when several workers run at once", async () => {
    // A slow transport keeps each worker's batch in flight while the others claim.
    const slowMailbox: Transport = {
      async send(message) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await mailbox.email.send(message);
      },
    };
    // Open the pool's connections first, so that on PostgreSQL the claims really run side by side.
    await Promise.all([1, 2, 3, 4].map(() => t.db.execute(sql`select pg_sleep(0.01)`)));
    const ids: string[] = [];
    // Races are won or lost by timing: several rounds make a double claim, were there one, show.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) ids.push(await enqueueMessage(t.db, notice({ recipient: `customer${round}.${i}@example.com` }), T0));
      const runs = await Promise.all([1, 2, 3].map(() => deliverDueMessages(t.db, both(slowMailbox), { now: T0, batchSize: 50 })));
      expect(runs.reduce((sum, run) => sum + run.claimed, 0)).toBe(20);
      expect(runs.reduce((sum, run) => sum + run.delivered, 0)).toBe(20);
    }

    const received = await mailboxRows();
    expect(received).toHaveLength(ids.length);
    expect(new Set(received.map((r) => r.messageId))).toEqual(new Set(ids));
    expect(await t.db.select().from(outboxAttempts)).toHaveLength(ids.length);
  });

  it("takes back a message whose worker died holding it, once the claim has run out", async () => {
    const id = await enqueueMessage(t.db, notice(), T0);
    // What a worker that crashed between claiming and recording leaves behind.
    await t.db
      .update(outboxMessages)
      .set({ status: "sending", lockedUntil: at(T0, 60 * SECOND) })
      .where(eq(outboxMessages.id, id));

    expect(await deliverDueMessages(t.db, mailbox, { now: at(T0, 30 * SECOND) })).toMatchObject({ claimed: 0 });
    expect(await deliverDueMessages(t.db, mailbox, { now: at(T0, 61 * SECOND) })).toEqual({ claimed: 1, delivered: 1, retried: 0, failed: 0 });
    expect(await messageRow(id)).toMatchObject({ status: "delivered", attempts: 1, lockedUntil: null });
  });

  it("runs on an interval in the server process without overlapping runs, and stops", async () => {
    let opened = 0;
    let releaseDb!: () => void;
    const dbReady = new Promise<void>((resolve) => (releaseDb = resolve));
    const slowToOpen = async (): Promise<Connection> => {
      opened += 1;
      await dbReady;
      return t.connection;
    };
    await enqueueMessage(t.db, notice());
    const stop = startOutboxWorker(slowToOpen, 5, () => mailbox);

    await new Promise((resolve) => setTimeout(resolve, 60));
    // Once to listen for new messages, once for the first run: ticks came while it waited, and were skipped.
    expect(opened).toBe(2);
    releaseDb();
    await expect.poll(async () => (await mailboxRows()).length, { timeout: 5000 }).toBe(1);
    await stop();

    const openedAtStop = opened;
    await enqueueMessage(t.db, notice());
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(opened).toBe(openedAtStop);
    expect(await mailboxRows()).toHaveLength(1);
  });

  describe("woken by a queued message", () => {
    /** Far longer than any test: whatever is delivered was not delivered by the poll. */
    const NEVER = HOUR;
    const deliveredIds = async () => (await mailboxRows()).map((r) => r.messageId).sort();

    it("delivers at start what was queued before, then each message as its transaction commits, not at the poll", async () => {
      const before = await enqueueMessage(t.db, notice({ recipient: "before@example.com" }));
      const stop = startOutboxWorker(async () => t.connection, NEVER, () => mailbox);
      try {
        await expect.poll(deliveredIds, { timeout: 20_000 }).toEqual([before]);
        const queued = await t.db.transaction((tx) => enqueueMessage(tx, notice({ recipient: "after@example.com" })));
        await expect.poll(deliveredIds, { timeout: 20_000 }).toEqual([before, queued].sort());
        // A message queued while a run is under way is not left for the poll either.
        const burst = await Promise.all([1, 2, 3].map((i) => enqueueMessage(t.db, notice({ recipient: `burst${i}@example.com` }))));
        await expect.poll(deliveredIds, { timeout: 20_000 }).toEqual([before, queued, ...burst].sort());
      } finally {
        await stop();
      }
    });

    it("is told only when the transaction that queued the message commits, never for one rolled back", async () => {
      const told: string[] = [];
      const unlisten = await t.connection.listen(OUTBOX_CHANNEL, (id) => told.push(id));
      try {
        let rolledBack = "";
        const refused = t.db.transaction(async (tx) => {
          rolledBack = await enqueueMessage(tx, notice());
          throw new Error("the change was refused");
        });
        await expect(refused).rejects.toThrow("the change was refused");
        const committed = await t.db.transaction(async (tx) => {
          const id = await enqueueMessage(tx, notice());
          await tx.execute(sql`select 1`);
          expect(told).toEqual([]); // not yet: the transaction is still open
          return id;
        });
        // Notifications arrive in commit order: had the rolled-back one been sent, it would be first.
        await expect.poll(() => told, { timeout: 20_000 }).toContain(committed);
        expect(told).toEqual([committed]);
        expect(rolledBack).not.toBe("");
      } finally {
        await unlisten();
      }
    });

    it.skipIf(!env.DATABASE_URL)("on PostgreSQL, is woken through NOTIFY by a message another server queued", async () => {
      const [row] = await queryRows<{ name: string }>(t.db, sql`select current_database() as name`);
      const url = new URL(env.DATABASE_URL!);
      url.pathname = `/${row!.name}`;
      const otherReplica = await connect(url.toString());
      const stop = startOutboxWorker(async () => t.connection, NEVER, () => mailbox);
      try {
        // The first run at start has nothing to deliver; then only a notification can bring the message.
        await expect.poll(() => t.db.select().from(outboxAttempts), { timeout: 20_000 }).toEqual([]);
        const id = await otherReplica.db.transaction((tx) => enqueueMessage(tx, notice()));
        await expect.poll(deliveredIds, { timeout: 20_000 }).toEqual([id]);
      } finally {
        await stop();
        await otherReplica.close();
      }
    });
  });
});

describe("retryDelayMs", () => {
  it("doubles from 30 seconds up to an hour, within ±10%", () => {
    expect([1, 2, 3, 8, 20].map((n) => retryDelayMs(n, 0.5))).toEqual([30_000, 60_000, 120_000, HOUR, HOUR]);
    expect(retryDelayMs(1, 0)).toBe(27_000);
    expect(retryDelayMs(1, 1)).toBe(33_000);
    expect(retryDelayMs(20, 1)).toBe(66 * 60 * SECOND);
  });
});
