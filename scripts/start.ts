/**
 * `npm start`: migrate, seed the demo into an empty database where wanted (db/seed.ts), build if the build is missing or
 * older than the sources, then serve on PORT (3000). The database is closed before Next.js starts,
 * because an embedded PGlite folder may only be open in one process at a time.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { connect, defaultTarget } from "@/db/client";
import { migrate } from "@/db/migrate";
import { demoSeedWanted, seedDemoIfWanted } from "@/db/seed";
import { attestKeys, authSecret, env, serverProcessEnv } from "@/lib/env";

const dev = process.argv.includes("--dev");
const next = path.resolve("node_modules/.bin/next");
const SOURCES = ["app", "components", "lib", "db", "public", "proxy.ts", "instrumentation.ts", "next.config.js", "package-lock.json", "postcss.config.mjs"];

function newestMtime(entry: string): number {
  if (!existsSync(entry) || /\.test\.tsx?$/.test(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(entry).map((child) => newestMtime(path.join(entry, child))));
}

function buildIsCurrent(): boolean {
  const buildId = ".next/BUILD_ID";
  if (!existsSync(buildId)) return false;
  return statSync(buildId).mtimeMs >= Math.max(...SOURCES.map(newestMtime));
}

async function prepareDatabase() {
  const target = defaultTarget();
  console.log(env.embedded ? `Database: embedded PGlite in ${env.pgliteDir}` : "Database: PostgreSQL (DATABASE_URL)");
  const connection = await connect(target);
  try {
    await migrate(connection);
    if (await seedDemoIfWanted(connection.db)) console.log("Seeded the demo data (see README: demo sign-ins).");
    else if (!demoSeedWanted()) console.log("No demo data here; create the first admin with `npm run create-admin -- --email …`.");
  } finally {
    await connection.close();
  }
}

async function main() {
  // Each fails fast with a clear message when a deployment lacks it.
  authSecret();
  attestKeys();
  await prepareDatabase();
  // `next start` always runs as production: whether the server is the demo (its dev mailbox) is decided here.
  const childEnv = { ...serverProcessEnv(), ATTEST_DEMO: demoSeedWanted() ? "1" : "0" };
  if (!dev && !buildIsCurrent()) {
    console.log("Building the application (first start or sources changed)…");
    const build = spawnSync(next, ["build"], { stdio: "inherit", env: childEnv });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  // Our own server (scripts/serve.mjs) rather than `next start`, so the client's address can be trusted.
  const serverEnv = { ...childEnv, NODE_ENV: dev ? "development" : "production" } as const;
  const serverArgs = ["scripts/serve.mjs", String(env.PORT), ...(dev ? ["--dev"] : [])];
  const server = spawn(process.execPath, serverArgs, { stdio: "inherit", env: serverEnv });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
  server.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
