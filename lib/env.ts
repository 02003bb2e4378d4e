import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export type AttestKey = { id: string; secret: string };
/** Names the secret of the values written before the keyring; AUTH_SECRET unless ATTEST_KEYS gives it. */
export const LEGACY_KEY_ID = "legacy";

/** ATTEST_KEYS as given, `k2:<secret>,k1:<secret>`: the current key first, each secret used as it is written. */
function parseKeys(value: string, ctx: z.RefinementCtx): AttestKey[] {
  const keys = value.split(",").map((entry) => {
    const at = entry.indexOf(":");
    return { id: at < 0 ? "" : entry.slice(0, at).trim(), secret: entry.slice(at + 1).trim() };
  });
  const problem = keys.some((k) => !/^[A-Za-z0-9_-]{1,16}$/.test(k.id))
    ? "each key is id:secret, the id 1 to 16 letters, digits, - or _ (e.g. k2:<secret>,k1:<secret>)"
    : keys.some((k) => k.secret.length < 32)
      ? "each secret must be at least 32 characters (for example `openssl rand -base64 32`)"
      : new Set(keys.map((k) => k.id)).size < keys.length
        ? "a key id appears twice"
        : keys[0]!.id === LEGACY_KEY_ID
          ? `'${LEGACY_KEY_ID}' only reads old values: it cannot be the current (first) key`
          : null;
  if (problem) ctx.addIssue({ code: "custom", message: problem });
  return keys;
}

/**
 * The only reader of process.env. Defaults make the embedded mode (PGlite under .data/) work with no
 * configuration at all; production (NODE_ENV=production with DATABASE_URL) must configure its secrets
 * (AUTH_SECRET, ATTEST_KEYS).
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
  /** Signs staff sessions, and nothing else (lib/keys/keyring.ts holds the keys for data). */
  AUTH_SECRET: z.string().trim().min(32, "must be at least 32 characters").optional(),
  /** `id:secret,…`: the keys that seal, hash and sign data, the current one first (lib/keys/keyring.ts). */
  ATTEST_KEYS: z.string().trim().transform(parseKeys).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Public address of the app, for links in messages (password reset, receipts). */
  APP_URL: z.url("must be a URL such as https://attest.example.com").default("http://localhost:3000"),
  /** smtp:// or smtps:// URL of the mail relay; unset: email lands in the dev mailbox. */
  SMTP_URL: z.string().trim().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
  SMTP_FROM: z.string().trim().min(3).default("Attest <no-reply@attest.local>"),
  /** HTTP endpoint of the SMS provider (POST JSON {to, body}); unset: SMS lands in the dev mailbox. */
  SMS_HTTP_URL: z.url("must be a URL").optional(),
  SMS_HTTP_TOKEN: z.string().trim().min(1).optional(),
  /** How often the in-process worker looks for due retries (a queued message wakes it at once); 0: off. */
  OUTBOX_POLL_MS: z.coerce.number().int().min(0).default(2000),
  /** Proxies in front of the app that append to X-Forwarded-For; 0: the client is the socket's peer. */
  TRUSTED_PROXIES: z.coerce.number().int().min(0).max(20).default(0),
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
  for (const optional of ["ATTEST_DEMO", "AUTH_SECRET", "ATTEST_KEYS", "SMTP_URL", "SMS_HTTP_URL", "SMS_HTTP_TOKEN", "APP_URL", "SMTP_FROM"]) {
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
  return keptUnderDataFolder("auth-secret", () => randomBytes(32).toString("base64url"));
}

/** A value generated on first use and kept (owner-readable only) under the data folder. */
function keptUnderDataFolder(name: string, generate: () => string): string {
  const file = path.resolve(env.ATTEST_DATA_DIR, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const value = generate();
  writeFileSync(file, value + "\n", { mode: 0o600 });
  return value;
}

let keptKeys: AttestKey[] | undefined;
/**
 * The keyring, current key first: ATTEST_KEYS when set. A deployment without it refuses to start
 * (replicas must share the keys, and losing them loses the data they seal). Otherwise one key is
 * generated on first start and kept under the data folder (`attest-keys`, in ATTEST_KEYS's form).
 */
export function attestKeys(): AttestKey[] {
  if (env.ATTEST_KEYS) return env.ATTEST_KEYS;
  if (env.deployed) {
    throw new Error(
      "ATTEST_KEYS is not set. In production (NODE_ENV=production with DATABASE_URL) the keys that seal, hash and sign data must be configured: set ATTEST_KEYS=k1:<a random value of at least 32 characters> (for example `k1:$(openssl rand -base64 32)`), and keep it safe: data sealed with a lost key cannot be read.",
    );
  }
  if (keptKeys) return keptKeys;
  const kept = keptUnderDataFolder("attest-keys", () => `k1:${randomBytes(32).toString("base64url")}`);
  const parsed = schema.shape.ATTEST_KEYS.safeParse(kept);
  if (!parsed.success || !parsed.data) throw new Error(`${path.resolve(env.ATTEST_DATA_DIR, "attest-keys")}: ${parsed.error?.issues[0]?.message}`);
  return (keptKeys = parsed.data);
}

/** The environment for a Next.js server process started by scripts/start.ts. */
export function serverProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env, AUTH_SECRET: authSecret(), NEXT_TELEMETRY_DISABLED: "1" };
}
