import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { connect } from "@/db/client";
import { migrate } from "@/db/migrate";
import { seedDemo } from "@/db/seed";
import { attestKeys, authSecret, env } from "@/lib/env";

/** Where test files find the demo, migrated and seeded once for the whole run. */
export type SeededDatabase = { kind: "pglite"; dumpFile: string } | { kind: "postgres"; template: string };

declare module "vitest" {
  export interface ProvidedContext {
    seededDatabase: SeededDatabase;
  }
}

/**
 * Seeding the demo takes seconds (scrypt hashes, the consent history, demo calls); done once here, each
 * test file then starts from a copy: a data-directory dump for PGlite, a template database on
 * PostgreSQL. The copy is the real seed's output, so tests see exactly what `npm start` seeds.
 */
export default async function setup(project: TestProject) {
  // Made now, once: every worker must sign, seal and hash with the same keys as the seed did.
  authSecret();
  attestKeys();
  if (env.DATABASE_URL) {
    const template = `attest_seeded_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(env.DATABASE_URL, { onnotice: () => {}, max: 1 });
    await admin.unsafe(`create database "${template}"`);
    const url = new URL(env.DATABASE_URL);
    url.pathname = `/${template}`;
    const drop = async () => {
      await admin.unsafe(`drop database if exists "${template}" with (force)`);
      await admin.end();
    };
    try {
      const connection = await connect(url.toString());
      try {
        await migrate(connection);
        await seedDemo(connection.db);
      } finally {
        await connection.close(); // a template may have no open connection while it is copied
      }
    } catch (error) {
      await drop();
      throw error;
    }
    project.provide("seededDatabase", { kind: "postgres", template });
    return drop;
  }
  const connection = await connect("memory://");
  const dumpFile = path.join(tmpdir(), `attest-seeded-${process.pid}-${randomBytes(4).toString("hex")}.tar`);
  try {
    await migrate(connection);
    await seedDemo(connection.db);
    const pglite = (connection.db as unknown as { $client: { dumpDataDir(compression?: "none"): Promise<Blob> } }).$client;
    writeFileSync(dumpFile, Buffer.from(await (await pglite.dumpDataDir("none")).arrayBuffer()));
  } finally {
    await connection.close();
  }
  project.provide("seededDatabase", { kind: "pglite", dumpFile });
  return () => rmSync(dumpFile, { force: true });
}
