import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { apiKeys, tenants, type ApiKey } from "@/db/schema";
import { adminScope, assertAdminOf, type Actor, type ApiKeyActor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { NotFoundError } from "@/lib/errors";
import type { RateLimit } from "@/lib/rate-limit/limiter";
import { API_KEY_DEFAULT, API_KEY_MAX_BURST, API_KEY_MAX_PER_SECOND } from "@/lib/rate-limit/limits";

export const API_SCOPES = [
  "consent:read",
  "consent:write",
  "customers:read",
  "customers:write",
  "requests:write",
  "audit:read",
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const createApiKeySchema = z.object({
  tenantId: z.uuid("Choose a tenant"),
  name: z.string().trim().min(1, "Name is required").max(80, "Name must be at most 80 characters"),
  scopes: z.array(z.enum(API_SCOPES, "Unknown scope"), "Choose at least one scope").min(1, "Choose at least one scope"),
});

export const apiKeyIdSchema = z.object({ apiKeyId: z.uuid("Unknown API key") });

/** A whole number from a form ("" for the default) or from code (a number or null). */
const rateSetting = (max: number) =>
  z.preprocess(
    (v) => (v === "" || v === undefined || v === null ? null : typeof v === "string" ? Number(v.trim()) : v),
    z
      .number("must be a whole number")
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(max, `must be at most ${max.toLocaleString("en")}`)
      .nullable(),
  );

/** A key's own rate limit; a field left empty goes back to the default (API_KEY_DEFAULT). */
export const apiKeyRateLimitSchema = z.object({
  apiKeyId: z.uuid("Unknown API key"),
  ratePerSecond: rateSetting(API_KEY_MAX_PER_SECOND),
  rateBurst: rateSetting(API_KEY_MAX_BURST),
});

/** The limit a key's requests are held to: its own settings, each falling back to the default. */
export const apiKeyRateLimit = (key: Pick<ApiKey, "ratePerSecond" | "rateBurst">): RateLimit => ({
  perSecond: key.ratePerSecond ?? API_KEY_DEFAULT.perSecond,
  burst: key.rateBurst ?? API_KEY_DEFAULT.burst,
});

export const hashApiKey = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** Creates a key and returns it in clear this once; only its hash is kept. */
export async function createApiKey(
  db: Db,
  actor: Actor,
  input: z.output<typeof createApiKeySchema>,
  key = `att_${randomBytes(24).toString("base64url")}`,
): Promise<{ id: string; key: string }> {
  assertAdminOf(actor, input.tenantId);
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, input.tenantId));
    if (!tenant) throw new NotFoundError("No such tenant");
    const [row] = await tx
      .insert(apiKeys)
      .values({
        tenantId: input.tenantId,
        name: input.name,
        prefix: key.slice(0, 8),
        keyHash: hashApiKey(key),
        scopes: [...new Set(input.scopes)],
        createdBy: actor.type === "staff" ? actor.id : null,
      })
      .returning({ id: apiKeys.id });
    await recordAudit(tx, actor, {
      tenantId: input.tenantId,
      action: "api_key.created",
      entityType: "api_key",
      entityId: row!.id,
      after: { name: input.name, prefix: key.slice(0, 8), scopes: input.scopes },
    });
    return { id: row!.id, key };
  });
}

/** Another tenant's key is not found, and stays as it was. */
export async function revokeApiKey(db: Db, actor: Actor, apiKeyId: string): Promise<void> {
  const scope = adminScope(actor);
  if (scope?.length === 0) throw new NotFoundError("No such active API key");
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, apiKeyId), isNull(apiKeys.revokedAt), scope ? inArray(apiKeys.tenantId, scope) : undefined))
      .returning();
    if (!row) throw new NotFoundError("No such active API key");
    await recordAudit(tx, actor, {
      tenantId: row.tenantId,
      action: "api_key.revoked",
      entityType: "api_key",
      entityId: row.id,
      before: { name: row.name, prefix: row.prefix },
    });
  });
  // Once committed: a lookup in flight until now cannot store the key as active (see activeKey).
  forgetKnownKeys();
}

/**
 * Sets an active key's own rate limit (null: the default), audited. Applies at once in this process
 * and within API_KEY_CACHE_MS in the others, which read the key's row again by then.
 */
export async function setApiKeyRateLimit(
  db: Db,
  actor: Actor,
  input: z.output<typeof apiKeyRateLimitSchema>,
): Promise<void> {
  const changed = await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, input.apiKeyId), isNull(apiKeys.revokedAt)))
      .for("update");
    if (!row) throw new NotFoundError("No such active API key");
    assertAdminOf(actor, row.tenantId);
    if (row.ratePerSecond === input.ratePerSecond && row.rateBurst === input.rateBurst) return false;
    await tx
      .update(apiKeys)
      .set({ ratePerSecond: input.ratePerSecond, rateBurst: input.rateBurst })
      .where(and(eq(apiKeys.tenantId, row.tenantId), eq(apiKeys.id, row.id)));
    await recordAudit(tx, actor, {
      tenantId: row.tenantId,
      action: "api_key.rate_limit_changed",
      entityType: "api_key",
      entityId: row.id,
      before: { name: row.name, ratePerSecond: row.ratePerSecond, rateBurst: row.rateBurst },
      after: { name: row.name, ratePerSecond: input.ratePerSecond, rateBurst: input.rateBurst },
    });
    return true;
  });
  if (changed) forgetKnownKeys();
}

/** The keys of the admin's tenants, newest first. */
export async function listApiKeys(db: Db, actor: Actor): Promise<Omit<ApiKey, "keyHash">[]> {
  const scope = adminScope(actor);
  if (scope?.length === 0) return [];
  const rows = await db
    .select()
    .from(apiKeys)
    .where(scope ? inArray(apiKeys.tenantId, scope) : undefined)
    .orderBy(desc(apiKeys.createdAt));
  return rows.map(({ keyHash: _hash, ...rest }) => rest);
}

const LAST_USED_PRECISION_MS = 5 * 60 * 1000;

// Prepared once per database handle: every API request starts here, and planning (or even building)
// the lookup would cost more than running it.
const prepareKeyLookup = (db: Db) =>
  db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sql.placeholder("keyHash")), isNull(apiKeys.revokedAt)))
    .prepare("authenticate_api_key");
const keyLookups = new WeakMap<Db, ReturnType<typeof prepareKeyLookup>>();

/**
 * How long this process trusts a key it has found active, without reading its row again: a dialler
 * calls hundreds of times a second with one key, and the lookup is a round trip of its own. A key
 * revoked through revokeApiKey is refused at once by the process that revoked it (the cache is
 * dropped there); other processes (replicas, or a revocation made in SQL) refuse it within this time.
 * Only active keys are kept, keyed by the key's hash, never the key; unknown keys are always looked up.
 */
export const API_KEY_CACHE_MS = 5_000;
const KNOWN_KEYS_MAX = 1_000;
type KnownKey = { row: ApiKey; until: number };
/**
 * On globalThis, as the database connection is: Next loads this module once for the server actions
 * (where an admin revokes a key) and again for the route handlers (where the key is used), and a
 * revocation must empty the cache the route handlers read.
 */
const keyCache = globalThis as unknown as { attestKnownApiKeys?: WeakMap<Db, Map<string, KnownKey>> };
keyCache.attestKnownApiKeys ??= new WeakMap();

/** Drops every cached key lookup of this process (a key was revoked). */
function forgetKnownKeys(): void {
  keyCache.attestKnownApiKeys = new WeakMap();
}

async function activeKey(db: Db, keyHash: string): Promise<ApiKey | null> {
  const cache = keyCache.attestKnownApiKeys!; // a revocation while the lookup runs must not be undone by storing its result
  let known = cache.get(db);
  if (!known) cache.set(db, (known = new Map()));
  const clock = performance.now();
  const hit = known.get(keyHash);
  if (hit && clock < hit.until) return hit.row;
  let lookup = keyLookups.get(db);
  if (!lookup) keyLookups.set(db, (lookup = prepareKeyLookup(db)));
  const [row] = await lookup.execute({ keyHash });
  if (!row) {
    known.delete(keyHash);
    return null;
  }
  if (cache === keyCache.attestKnownApiKeys) {
    if (known.size >= KNOWN_KEYS_MAX) known.clear();
    known.set(keyHash, { row, until: clock + API_KEY_CACHE_MS });
  }
  return row;
}

/** A key's actor with the rate limit its requests are held to. */
export type AuthenticatedApiKey = ApiKeyActor & { rateLimit: RateLimit };

/** The actor behind a bearer key, or null for a missing, unknown or revoked key. */
export async function authenticateApiKey(
  db: Db,
  key: string,
  ip: string | null,
  now = new Date(),
): Promise<AuthenticatedApiKey | null> {
  if (!key || key.length > 200) return null;
  const row = await activeKey(db, hashApiKey(key));
  if (!row) return null;
  // Admins look at this before revoking a key; once per few minutes is precise enough and spares a
  // write on every request.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    row.lastUsedAt = now; // the cached row too, so that requests within the cache time do not write again
    await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id));
  }
  const { id, name, tenantId, scopes } = row;
  return { type: "api_key", id, name, tenantId, scopes, ip, rateLimit: apiKeyRateLimit(row) };
}
