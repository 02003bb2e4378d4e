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
const printKeys = `import { attestKeys } from "./lib/env"; console.log(JSON.stringify(attestKeys()));`;

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

describe("the keyring's keys (ATTEST_KEYS)", () => {
  const secret = (c: string) => c.repeat(40);

  it("are taken as configured, in order, the first current", () => {
    const result = run(printKeys, { ATTEST_KEYS: ` k2:${secret("a")} , k1:${secret("b")}`, NODE_ENV: "production", DATABASE_URL: "postgres://h/db" });
    expect(JSON.parse(result.stdout)).toEqual([
      { id: "k2", secret: secret("a") },
      { id: "k1", secret: secret("b") },
    ]);
  });

  it("are refused, with the reason, when malformed", () => {
    const refusal = (value: string) => run(printKeys, { ATTEST_KEYS: value }).stderr;
    expect(refusal("k2:short")).toContain("ATTEST_KEYS: each secret must be at least 32 characters");
    expect(refusal(secret("a"))).toContain("ATTEST_KEYS: each key is id:secret");
    expect(refusal(`bad id:${secret("a")}`)).toContain("ATTEST_KEYS: each key is id:secret");
    expect(refusal(`k1:${secret("a")},k1:${secret("b")}`)).toContain("ATTEST_KEYS: a key id appears twice");
    expect(refusal(`legacy:${secret("a")}`)).toContain("cannot be the current (first) key");
  }, 120_000); // five processes started one after another on a shared machine

  it("are generated on first embedded start, kept under the data folder in ATTEST_KEYS's form, and reused", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "attest-env-"));
    const first = run(printKeys, { ATTEST_DATA_DIR: dataDir });
    expect(first.status).toBe(0);
    const [key] = JSON.parse(first.stdout) as { id: string; secret: string }[];
    expect(key!.secret.length).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(run(printKeys, { ATTEST_DATA_DIR: dataDir }).stdout)).toEqual([key]);
    const file = path.join(dataDir, "attest-keys");
    expect(readFileSync(file, "utf8").trim()).toBe(`${key!.id}:${key!.secret}`);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it("are a clear start-up error in a deployment that has none, even with AUTH_SECRET set", () => {
    const result = run(`import "./scripts/start";`, {
      NODE_ENV: "production",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      AUTH_SECRET: "x".repeat(40),
      ATTEST_DATA_DIR: mkdtempSync(path.join(tmpdir(), "attest-env-")),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("ATTEST_KEYS is not set");
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
