import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const tsx = path.resolve("node_modules/.bin/tsx");

/** Runs a snippet in a fresh process, as start-up would, with exactly the environment given. */
function run(code: string, env: Record<string, string>) {
  const { PATH, HOME } = process.env;
  // Next.js types NODE_ENV as required; a child of ours may well leave it unset.
  const childEnv = { PATH, HOME, ...env } as unknown as NodeJS.ProcessEnv;
  return spawnSync(tsx, ["-e", code], { env: childEnv, encoding: "utf8", cwd: path.resolve(".") });
}

const printSecret = `import { authSecret } from "./lib/env"; console.log(authSecret());`;

describe("the session secret", () => {
  it("is generated on first embedded start, kept under the data folder, and reused", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "attest-env-"));
    const first = run(printSecret, { ATTEST_DATA_DIR: dataDir });
    const second = run(printSecret, { ATTEST_DATA_DIR: dataDir });
    expect(first.status).toBe(0);
    const secret = first.stdout.trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(second.stdout.trim()).toBe(secret);
    const file = path.join(dataDir, "auth-secret");
    expect(readFileSync(file, "utf8").trim()).toBe(secret);
    expect(statSync(file).mode & 0o077).toBe(0); // readable by the owner only
  });

  it("is a clear start-up error in production on a database server when not configured", () => {
    const result = run(`import "./scripts/start";`, {
      NODE_ENV: "production",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      ATTEST_DATA_DIR: mkdtempSync(path.join(tmpdir(), "attest-env-")),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("AUTH_SECRET is not set");
  });

  it("is taken as configured", () => {
    const configured = "x".repeat(40);
    const result = run(printSecret, { AUTH_SECRET: configured, NODE_ENV: "production", DATABASE_URL: "postgres://h/db" });
    expect(result.stdout.trim()).toBe(configured);
  });
});

describe("the demo (ATTEST_DEMO)", () => {
  const printDemo = `import { env } from "./lib/env"; console.log(JSON.stringify({ demo: env.demo, production: env.production }));`;
  const demoWith = (vars: Record<string, string>) => {
    const result = run(printDemo, { ATTEST_DATA_DIR: mkdtempSync(path.join(tmpdir(), "attest-env-")), ...vars });
    return result.status === 0 ? (JSON.parse(result.stdout) as { demo: boolean; production: boolean }).demo : result.stderr;
  };
  const server = "postgres://attest@db.example.com/attest";

  it("is the embedded database outside production, and never a database server unless ATTEST_DEMO=1 says so", () => {
    expect(demoWith({})).toBe(true);
    expect(demoWith({ ATTEST_DEMO: "" })).toBe(true);
    expect(demoWith({ NODE_ENV: "production" })).toBe(false);
    expect(demoWith({ DATABASE_URL: server })).toBe(false);
    expect(demoWith({ DATABASE_URL: server, ATTEST_DEMO: "1" })).toBe(true);
    expect(demoWith({ ATTEST_DEMO: "0" })).toBe(false);
  });

  it("refuses a value that is not 1 or 0", () => {
    expect(demoWith({ ATTEST_DEMO: "maybe" })).toContain("ATTEST_DEMO: must be 1 or 0");
  });
});
