import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connect, type Connection, type Db } from "@/db/client";
import { migrate } from "@/db/migrate";
import { seedDemo } from "@/db/seed";
import { env } from "@/lib/env";

export type TestDatabase = { db: Db; kind: "pglite" | "postgres"; connection: Connection; close: () => Promise<void> };

/**
 * A freshly migrated database of the test's own: in-memory PGlite by default; with DATABASE_URL set
 * (CI's second pass), a new database with a unique name on that server, dropped by close().
 */
export async function testDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  let connection;
  let drop = async () => {};
  if (env.DATABASE_URL) {
    const name = `attest_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(env.DATABASE_URL, { onnotice: () => {}, max: 1 });
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(env.DATABASE_URL);
    url.pathname = `/${name}`;
    connection = await connect(url.toString());
    drop = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    connection = await connect("memory://");
  }
  const opened = connection;
  const close = async () => {
    await opened.close();
    await drop();
  };
  try {
    await migrate(opened);
    if (options.seed) await seedDemo(opened.db);
  } catch (error) {
    await close(); // never leave a half-made database behind on the server
    throw error;
  }
  return { db: opened.db, kind: opened.kind, connection: opened, close };
}
