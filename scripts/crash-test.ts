/**
 * The crash test (issue 11): 160 consent events written through POST /api/v1/consents at concurrency 16,
 * each with its own Idempotency-Key; the server is killed with SIGKILL mid-load, started again, and
 * the events it never answered are sent again with the same keys, as a client retries. Then: every
 * event ever answered 201 is in the ledger, the ledger's hash chains verify, and the outbox delivered
 * each message exactly once. Run on PGlite, and on PostgreSQL too when DATABASE_URL is set.
 * Run by scripts/test.sh; alone: `npx tsx scripts/crash-test.ts`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect, queryRows, type Connection } from "@/db/client";
import { tenantIdByKey } from "@/db/seed";
import { verifyLedger } from "@/lib/consent/verify";
import { env } from "@/lib/env";

const CONCURRENCY = 16;
const EVENTS = 160;
const KILL_AFTER_ANSWERS = 40;
const KEY = "demo-globex-api-key"; // globex asks email grants to be confirmed: each grant sends a message
const CUSTOMERS = Array.from({ length: 8 }, (_, i) => `GLX-000${i + 1}`);
const PORT = 3290 + Math.floor(Math.random() * 9);
const base = `http://127.0.0.1:${PORT}`;

type Database = {
  label: string;
  childEnv: Record<string, string>;
  open: () => Promise<Connection>;
  drop: () => Promise<void>;
};

function startServer(childEnv: Record<string, string>): Promise<ChildProcess> {
  // Node itself with tsx as a loader (not the tsx wrapper), so that SIGKILL hits the server process.
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/crash-server.ts"], {
    env: { ...process.env, ...childEnv, PORT: String(PORT), OUTBOX_POLL_MS: "0", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Whatever ends this script (a failure, a timeout) ends the server it started too.
  process.once("exit", () => child.kill("SIGKILL"));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("crash server ready") && resolve(child));
    child.on("exit", (code) => reject(new Error(`the crash server exited (${code}) before it was ready`)));
  });
}

const stopped = (child: ChildProcess) =>
  new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve),
  );

async function runOn(database: Database): Promise<void> {
  console.log(`crash test on ${database.label}`);
  let server = await startServer(database.childEnv);
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const purposes = (await (await fetch(`${base}/api/v1/purposes`, { headers })).json()) as {
    purposes: { key: string; notices: { id: string; kind: string }[] }[];
  };
  const notice = purposes.purposes.find((p) => p.key === "marketing")!.notices.find((n) => n.kind === "web")!.id;
  const bodyOf = (i: number) =>
    JSON.stringify({
      customer: CUSTOMERS[i % CUSTOMERS.length],
      purpose: "marketing",
      channel: "email",
      action: i % 4 === 3 ? "withdraw" : "grant",
      method: "web",
      notice,
    });

  const answered = new Map<number, string>(); // event number → event id answered with 201
  const send = async (i: number) => {
    const response = await fetch(`${base}/api/v1/consents`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": `crash-${i}` },
      body: bodyOf(i),
    });
    const body = (await response.json()) as { event?: { id: string } };
    if (response.status !== 201) throw new Error(`event ${i} answered ${response.status}: ${JSON.stringify(body)}`);
    answered.set(i, body.event!.id);
  };
  // Sixteen clients, each taking the next event; the server is killed once enough were answered.
  let next = 0;
  let killed = false;
  const client = async () => {
    while (next < EVENTS) {
      const i = next++;
      try {
        await send(i);
      } catch (error) {
        if (!killed) throw error; // before the kill, every event must succeed
      }
      if (!killed && answered.size >= KILL_AFTER_ANSWERS) {
        killed = true;
        server.kill("SIGKILL");
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  await stopped(server);
  const beforeKill = new Map(answered);
  console.log(`  killed with SIGKILL after ${beforeKill.size} of ${EVENTS} events were answered 201`);

  // Started again, the client retries whatever it never saw answered, with the same keys.
  server = await startServer(database.childEnv);
  const missing = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => !answered.has(i));
  for (let at = 0; at < missing.length; at += CONCURRENCY)
    await Promise.all(missing.slice(at, at + CONCURRENCY).map(send));
  for (const [i, id] of beforeKill)
    if (answered.get(i) !== id) throw new Error(`event ${i} was answered ${id}, then replayed as ${answered.get(i)}`);
  for (;;) {
    const { undelivered } = (await (await fetch(`${base}/crash/outbox`)).json()) as { undelivered: number };
    if (undelivered === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill("SIGTERM");
  await stopped(server);

  const connection = await database.open();
  try {
    const ids = [...answered.values()];
    const [held] = await queryRows<{ n: number | string }>(
      connection.db,
      sql`select count(*) as n from consent_events where id in ${ids}`,
    );
    if (Number(held!.n) !== ids.length)
      throw new Error(`${ids.length - Number(held!.n)} events answered 201 are not in the ledger`);
    const ledger = await verifyLedger(connection.db, await tenantIdByKey(connection.db, "globex"));
    if (!ledger.ok) throw new Error(`the ledger does not verify: first broken event ${ledger.brokenEventId}`);
    const [outbox] = await queryRows<{ messages: number | string; twice: number | string; never: number | string }>(
      connection.db,
      sql`select (select count(*) from outbox_messages) as messages,
                 (select count(*) from (select message_id from dev_mailbox group by message_id having count(*) > 1) t) as twice,
                 (select count(*) from outbox_messages m where not exists (select 1 from dev_mailbox d where d.message_id = m.id)) as never`,
    );
    if (Number(outbox!.twice) > 0) throw new Error(`${outbox!.twice} messages were sent more than once`);
    if (Number(outbox!.never) > 0) throw new Error(`${outbox!.never} messages were never sent`);
    console.log(
      `  ${ids.length} events in the ledger, chains verify (${ledger.events} events), ${outbox!.messages} messages each sent once`,
    );
  } finally {
    await connection.close();
    await database.drop();
  }
}

function pglite(): Database {
  const dir = mkdtempSync(path.join(tmpdir(), "attest-crash-"));
  return {
    label: "PGlite",
    childEnv: { ATTEST_DATA_DIR: dir, DATABASE_URL: "", AUTH_SECRET: randomBytes(32).toString("base64url") },
    open: () => connect(path.join(dir, "pglite")),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresql(url: string): Promise<Database> {
  const name = `attest_crash_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(url, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`create database "${name}"`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    label: "PostgreSQL",
    childEnv: { DATABASE_URL: target.toString(), AUTH_SECRET: randomBytes(32).toString("base64url") },
    open: () => connect(target.toString()),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

async function main() {
  await runOn(pglite());
  if (env.DATABASE_URL) await runOn(await postgresql(env.DATABASE_URL));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
