import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { inject } from "vitest";
import { connect, type Connection, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { staffUsers } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import type {} from "./global-setup"; // its ProvidedContext declaration
import { env } from "@/lib/env";
import { totpCode } from "@/lib/staff/second-factor";
import { resolveSession } from "@/lib/staff/sessions";
import { passSecondFactor, signIn } from "@/lib/staff/sign-in";
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from "../demo-data";

export type TestDatabase = { db: Db; kind: "pglite" | "postgres"; connection: Connection; close: () => Promise<void> };

/**
 * A freshly migrated database of the test's own: in-memory PGlite by default; with DATABASE_URL set
 * (CI's second pass), a new database with a unique name on that server, dropped by close(). With
 * `seed`, it starts as a copy of the demo that global-setup.ts seeded once for the whole run.
 */
export async function testDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const seeded = options.seed ? inject("seededDatabase") : null;
  let connection;
  let drop = async () => {};
  if (env.DATABASE_URL) {
    const name = `attest_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(env.DATABASE_URL, { onnotice: () => {}, max: 1 });
    await admin.unsafe(seeded?.kind === "postgres" ? `create database "${name}" template "${seeded.template}"` : `create database "${name}"`);
    const url = new URL(env.DATABASE_URL);
    url.pathname = `/${name}`;
    connection = await connect(url.toString());
    drop = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    connection = await connect("memory://", seeded?.kind === "pglite" ? { loadDataDir: new Blob([readFileSync(seeded.dumpFile)]) } : {});
  }
  const opened = connection;
  const close = async () => {
    await opened.close();
    await drop();
  };
  try {
    if (!seeded) await migrate(opened);
  } catch (error) {
    await close(); // never leave a half-made database behind on the server
    throw error;
  }
  return { db: opened.db, kind: opened.kind, connection: opened, close };
}

/**
 * A demo staff member signed in the way the product does it: the actor their requests carry. The
 * demo's supervisor and admin answer with their authenticator's code for the first time step not yet
 * used (an app would make them wait up to 30 s for it; a test moves the clock there instead).
 */
export async function signedInStaff(db: Db, email: string, ip: string | null = null): Promise<StaffActor> {
  const [user] = await db.select({ lastStep: staffUsers.totpLastStep }).from(staffUsers).where(eq(staffUsers.email, email));
  const at = new Date(Math.max(Date.now(), ((user?.lastStep ?? 0) + 1) * 30_000));
  const first = await signIn(db, email, DEMO_PASSWORD, ip, at);
  let result = first.outcome === "signed-in" ? first : null;
  if (first.outcome === "second-factor") {
    const second = await passSecondFactor(db, first.challengeId, { kind: "code", code: totpCode(DEMO_TOTP_SECRET, at) }, ip, at);
    if (second.outcome === "signed-in") result = second;
  }
  if (!result) throw new Error(`could not sign in ${email}`);
  const actor = await resolveSession(db, result.sessionId, ip);
  if (!actor) throw new Error(`no session for ${email}`);
  return actor;
}
