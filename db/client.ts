import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { ExtractTablesWithRelations, SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "@/lib/env";
import * as schema from "./schema";

type Schema = typeof schema;

/** A database handle or an open transaction: domain functions accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type Connection = {
  db: Db;
  close: () => Promise<void>;
  kind: "pglite" | "postgres";
  /**
   * Calls `onNotify` with the payload of each NOTIFY on `channel`, which both databases send only when
   * the notifying transaction commits. Resolves, once listening, with the function that stops it.
   */
  listen: (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;
};

/**
 * Opens a connection. `target` is a postgres:// URL, a PGlite folder, or "memory://" for a
 * throw-away embedded database (tests).
 */
export async function connect(target: string, { loadDataDir }: { loadDataDir?: Blob } = {}): Promise<Connection> {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const client = postgres(target, { onnotice: () => {}, max: 10 });
    return {
      db: drizzlePostgres(client, { schema }) as unknown as Db,
      close: () => client.end(),
      kind: "postgres",
      // On a connection of its own, which postgres.js opens again (and listens again on) if it drops.
      listen: async (channel, onNotify) => (await client.listen(channel, onNotify)).unlisten,
    };
  }
  if (target !== "memory://") mkdirSync(target, { recursive: true });
  // `loadDataDir` starts an embedded database from a dump of another (tests start from a seeded one).
  const client = await PGlite.create(target, { extensions: { pg_trgm }, loadDataDir });
  return {
    db: drizzlePglite(client, { schema }) as unknown as Db,
    close: () => client.close(),
    kind: "pglite",
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
  };
}

export function defaultTarget(): string {
  return env.DATABASE_URL ?? env.pgliteDir!;
}

// Next.js evaluates modules more than once (pages, actions, route handlers); one PGlite instance per
// process is a must, as two would not see each other's writes. So the connection lives on globalThis.
const globalForDb = globalThis as unknown as { attestDb?: Promise<Connection> };

/** Makes `connection` the process's database (tests that call route handlers or actions directly). */
export function useConnection(connection: Connection): void {
  globalForDb.attestDb = Promise.resolve(connection);
}

export function getConnection(): Promise<Connection> {
  globalForDb.attestDb ??= connect(defaultTarget());
  return globalForDb.attestDb;
}

export async function getDb(): Promise<Db> {
  return (await getConnection()).db;
}

/** Runs raw SQL and returns its rows, whichever driver is underneath (they shape results differently). */
export async function queryRows<T extends Record<string, unknown>>(db: Db, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}
