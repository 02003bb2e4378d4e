import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { inject } from "vitest";
import { connect, type Connection, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import type { StaffActor } from "@/lib/actor";
import type {} from "./global-setup"; // its ProvidedContext declaration
import { env } from "@/lib/env";
import { resolveSession } from "@/lib/staff/sessions";
import { signIn } from "@/lib/staff/sign-in";
import { DEMO_PASSWORD } from "../demo-data";

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

/** A demo staff member signed in the way the product does it: the actor their requests carry. */
export async function signedInStaff(db: Db, email: string, ip: string | null = null): Promise<StaffActor> {
  const result = await signIn(db, email, DEMO_PASSWORD, ip);
  if (!result.ok) throw new Error(`could not sign in ${email}`);
  const actor = await resolveSession(db, result.sessionId, ip);
  if (!actor) throw new Error(`no session for ${email}`);
  return actor;
}
