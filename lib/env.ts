import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * The only reader of process.env. Defaults make the embedded mode (PGlite under .data/) work with no
 * configuration at all; production (NODE_ENV=production with DATABASE_URL) must configure its secret.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL")
    .optional()
    .catch(undefined),
  ATTEST_DATA_DIR: z.string().trim().min(1).default(".data"),
  /** 1: run as the demo (seeded if empty, dev mailbox) on a database server too; 0: never. See `demo`. */
  ATTEST_DEMO: z.stringbool("must be 1 or 0").optional(),
  AUTH_SECRET: z.string().trim().min(32, "must be at least 32 characters").optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Public address of the app, for links in messages (password reset, receipts). */
  APP_URL: z.url("must be a URL such as https://attest.example.com").default("http://localhost:3000"),
  /** smtp:// or smtps:// URL of the mail relay; unset: email lands in the dev mailbox. */
  SMTP_URL: z.string().trim().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
  SMTP_FROM: z.string().trim().min(3).default("Attest <no-reply@attest.local>"),
  /** HTTP endpoint of the SMS provider (POST JSON {to, body}); unset: SMS lands in the dev mailbox. */
  SMS_HTTP_URL: z.url("must be a URL").optional(),
  SMS_HTTP_TOKEN: z.string().trim().min(1).optional(),
  /** How often the in-process worker delivers due messages; 0 turns it off (run `npm run worker`). */
  OUTBOX_POLL_MS: z.coerce.number().int().min(0).default(2000),
});

export type Env = z.infer<typeof schema> & {
  /** Folder of the embedded database; undefined when DATABASE_URL points at a server. */
  pgliteDir: string | undefined;
  embedded: boolean;
  /** NODE_ENV=production: `next start` always sets it, so the embedded demo has it too. */
  production: boolean;
  /**
   * A real deployment: production on a database server. Only here is the dev mailbox gone and the
   * session secret required; the embedded demo, tests and development keep their conveniences.
   */
  deployed: boolean;
  /**
   * The demo: seeded into an empty database (never under NODE_ENV=production) and with the dev mailbox.
   * ATTEST_DEMO decides; unset, only the embedded database outside production is one.
   */
  demo: boolean;
};

function parse(): Env {
  const raw = { ...process.env };
  // An empty DATABASE_URL means "not set", as in a shell that exported it blank.
  if (!raw.DATABASE_URL?.trim()) delete raw.DATABASE_URL;
  for (const optional of ["ATTEST_DEMO", "AUTH_SECRET", "SMTP_URL", "SMS_HTTP_URL", "SMS_HTTP_TOKEN", "APP_URL", "SMTP_FROM"]) {
    if (!raw[optional]?.trim()) delete raw[optional];
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Attest configuration is invalid:\n${lines.join("\n")}`);
  }
  if (process.env.DATABASE_URL?.trim() && !parsed.data.DATABASE_URL) {
    throw new Error("Attest configuration is invalid:\n  DATABASE_URL: must be a postgres:// or postgresql:// URL");
  }
  const embedded = !parsed.data.DATABASE_URL;
  return {
    ...parsed.data,
    embedded,
    production: parsed.data.NODE_ENV === "production",
    deployed: parsed.data.NODE_ENV === "production" && !embedded,
    demo: parsed.data.ATTEST_DEMO ?? (embedded && parsed.data.NODE_ENV !== "production"),
    pgliteDir: embedded ? path.resolve(parsed.data.ATTEST_DATA_DIR, "pglite") : undefined,
  };
}

export const env: Env = parse();

/**
 * The secret that signs staff sessions. Configured: used as is. Production on a database server
 * without one: refuse to start, because a generated secret would differ between replicas. Otherwise
 * one is generated on first start and kept under the data folder, so sessions survive restarts.
 */
export function authSecret(): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  if (env.deployed) {
    throw new Error(
      "AUTH_SECRET is not set. In production (NODE_ENV=production with DATABASE_URL) every replica must share one secret: set AUTH_SECRET to a random value of at least 32 characters (for example `openssl rand -base64 32`).",
    );
  }
  const file = path.resolve(env.ATTEST_DATA_DIR, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}

/** The environment for a Next.js server process started by scripts/start.ts. */
export function serverProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env, AUTH_SECRET: authSecret(), NEXT_TELEMETRY_DISABLED: "1" };
}
