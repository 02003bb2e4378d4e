import { and, eq, sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentChannel, purposes, type ConsentAction, type ConsentChannel, type ConsentStatus, type Customer, type Purpose } from "@/db/schema";
import { ValidationError, fieldErrorsFromZod, type FieldError } from "@/lib/errors";
import { hashKeyId } from "@/lib/keys/keyring";
import { contactPointHash } from "./hashing";
import { STATUS_AFTER, contactPointFor } from "./ledger";

export type CheckReason =
  | "granted"
  | "no_record"
  | "unknown_customer"
  | "refused"
  | "withdrawn"
  | "expired"
  | "pending_confirmation"
  | "objected"
  | "restricted"
  | "erased"
  | "invalidated"
  | "contact_point_changed";

export type ConsentCheck = {
  customer: string;
  purpose: string;
  channel: ConsentChannel;
  at: string;
  allowed: boolean;
  reason: CheckReason;
  eventId: string | null;
  since: string | null;
  validUntil: string | null;
  reviewDue: boolean;
};

export type CheckQuery = { customer: string; purpose: string; channel: ConsentChannel };

/** At most this many checks in one batch (API.md: more is 413). */
export const MAX_BATCH_CHECKS = 10_000;

export async function purposeByKey(db: Db, tenantId: string, key: string): Promise<Purpose> {
  const [purpose] = await db.select().from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.key, key)));
  if (!purpose) throw ValidationError.field("purpose", `unknown purpose '${key}'`);
  return purpose;
}

// ---------------------------------------------------------------------------------------------
// The decision: one rule for the single check, the batch and anything else that asks.

type CustomerStatus = Customer["status"];

/** What a check knows of the customer: null when the tenant has no customer with that reference. */
export type CheckCustomer = { status: CustomerStatus; restricted: boolean; email: string | null; phone: string | null };

/** The latest consent for the customer × purpose × channel at the time asked about. */
export type LatestConsent = { status: ConsentStatus; eventId: string; since: Date; validUntil: Date | null; contactPointHash: string | null };

export type ConsentFacts = {
  tenantId: string;
  customer: CheckCustomer | null;
  purpose: { reviewIntervalDays: number | null };
  channel: ConsentChannel;
  latest: LatestConsent | null;
  at: Date;
  /** The keyed hash of a contact point with a given key: contactPointHash, or a batch's memo of it (same values). */
  hashContactPoint?: (tenantId: string, value: string, keyId: string) => string;
};

/** The answer without the question: what the single check, each batch entry and the agent's panel show. */
export type ConsentDecision = Pick<ConsentCheck, "allowed" | "reason" | "eventId" | "since" | "validUntil" | "reviewDue">;

const decision = (reason: CheckReason, latest: LatestConsent | null = null, reviewDue = false): ConsentDecision => ({
  allowed: reason === "granted",
  reason,
  eventId: latest?.eventId ?? null,
  since: latest?.since.toISOString() ?? null,
  validUntil: latest?.validUntil?.toISOString() ?? null,
  reviewDue,
});

/**
 * May this customer be processed for this purpose on this channel at `at`, given what the database
 * holds? Pure: no I/O, so the single check, the batch, the agent's panel and the tests all apply
 * exactly this rule. The least permissive answer wins: an unknown customer, then erased, then
 * restricted, then the consent itself (no record, or a status other than granted: refused,
 * withdrawn, expired, pending_confirmation, invalidated, objected), then a grant past its validity,
 * then a contact point that is no longer the customer's.
 */
export function decideConsent(facts: ConsentFacts): ConsentDecision {
  const { customer, latest, at } = facts;
  if (!customer) return decision("unknown_customer");
  if (customer.status === "erased") return decision("erased");
  if (customer.restricted) return decision("restricted");
  if (!latest) return decision("no_record");
  if (latest.status !== "granted") return decision(latest.status, latest);
  // Computed here rather than left to the sweep: a grant lapses the moment its validity ends.
  if (latest.validUntil && latest.validUntil <= at) return decision("expired", latest);
  const contactPoint = contactPointFor(customer, facts.channel);
  // Hashed again with the key the stored hash names: the ledger keeps each hash as it was made.
  const stored = latest.contactPointHash;
  if (stored && (!contactPoint || (facts.hashContactPoint ?? contactPointHash)(facts.tenantId, contactPoint, hashKeyId(stored)) !== stored)) {
    return decision("contact_point_changed", latest);
  }
  const { reviewIntervalDays } = facts.purpose;
  const reviewDue = reviewIntervalDays !== null && at.getTime() - latest.since.getTime() > reviewIntervalDays * 86_400_000;
  return decision("granted", latest, reviewDue);
}

/** The answer as API.md shapes it, for the single check and each entry of a batch alike. */
export function checkAnswer(query: CheckQuery, at: Date | string, decision: ConsentDecision): ConsentCheck {
  return { customer: query.customer, purpose: query.purpose, channel: query.channel, at: typeof at === "string" ? at : at.toISOString(), ...decision };
}

// ---------------------------------------------------------------------------------------------
// The facts, set-based: one statement for one check or ten thousand.

type FactsRow = {
  n: number;
  purpose_id: string | null;
  review_interval_days: number | null;
  uses_channel: boolean | null;
  customer_id: string | null;
  customer_status: CustomerStatus | null;
  restricted: boolean | null;
  email: string | null;
  phone: string | null;
  status: ConsentStatus | null;
  action: ConsentAction | null;
  event_id: string | null;
  since_ms: number | null;
  valid_until_ms: number | null;
  contact_point_hash: string | null;
};

/**
 * The statement resolving purpose, customer and latest consent for every query at once, joined to
 * purposes (a handful per tenant), customers (an index lookup each) and either the current-state
 * projection (now: its primary key) or the ledger as it stood at `at` (an audit: the latest event
 * that had happened by then, through consent_events_check_idx). One row comes back per query,
 * carrying its position (`n`, from 0). Times come back as whole epoch milliseconds, which both
 * drivers read alike.
 *
 * The queries come in two shapes, with the same joins after them. A batch sends three parallel
 * arrays (customers, purposes, channels: three parameters whatever its size, no JSON to take apart);
 * its rows come back in no particular order and are put in place by `n`, which spares the database a
 * sort. The single check sends three plain values: PostgreSQL then plans the prepared statement once
 * and reuses that plan, where an array of unknown length would have it plan again on every call
 * (a custom plan, several times the cost of running it).
 */
function factsStatement(past: boolean, many: boolean): SQL {
  const tenantId = sql.placeholder("tenantId");
  const queries = many
    ? // The channels go as text[]: a driver serializes an array only for an array type it knows, and
      // postgres.js learns the enum's array type when a connection opens, which may be before the
      // migration that creates it.
      sql`unnest(${sql.placeholder("customers")}::text[], ${sql.placeholder("purposes")}::text[], ${sql.placeholder("channels")}::text[]::consent_channel[])
        with ordinality as i(customer, purpose, channel, n)`
    : sql`(values (${sql.placeholder("customer")}::text, ${sql.placeholder("purpose")}::text, ${sql.placeholder("channel")}::consent_channel, 1::bigint))
        as i(customer, purpose, channel, n)`;
  const latest = past
    ? sql`left join lateral (
        select null::consent_status as status, e.action, e.id as event_id, e.occurred_at as since, e.valid_until, e.contact_point_hash
        from consent_events e
        where e.tenant_id = ${tenantId} and e.customer_id = c.id and e.purpose_id = p.id and e.channel = i.channel
          and e.occurred_at <= ${sql.placeholder("at")}::timestamptz
        order by e.occurred_at desc, e.chain_seq desc
        limit 1
      ) s on true`
    : // The projection's primary key holds one row at most; `limit 1` keeps the subquery one, so that
      // each lookup uses the whole key (PostgreSQL would flatten it into a join probing by customer
      // only, reading each of the customer's rows to filter purpose and channel afterwards).
      sql`left join lateral (
        select cs.status, null::consent_action as action, cs.event_id, cs.since, cs.valid_until, cs.contact_point_hash
        from consent_state cs
        where cs.tenant_id = ${tenantId} and cs.customer_id = c.id and cs.purpose_id = p.id and cs.channel = i.channel
        limit 1
      ) s on true`;
  return sql`select (i.n - 1)::int as n, p.id as purpose_id, p.review_interval_days, i.channel = any(p.channels) as uses_channel,
      c.id as customer_id, c.status as customer_status, c.restricted, c.email, c.phone,
      s.status, s.action, s.event_id,
      floor(extract(epoch from s.since) * 1000)::float8 as since_ms,
      floor(extract(epoch from s.valid_until) * 1000)::float8 as valid_until_ms,
      s.contact_point_hash
    from ${queries}
    left join purposes p on p.tenant_id = ${tenantId} and p.key = i.purpose
    left join customers c on c.tenant_id = ${tenantId} and c.ref = i.customer
    ${latest}`;
}

const dialect = new PgDialect();
const FACTS = {
  now_one: dialect.sqlToQuery(factsStatement(false, false)),
  past_one: dialect.sqlToQuery(factsStatement(true, false)),
  now_many: dialect.sqlToQuery(factsStatement(false, true)),
  past_many: dialect.sqlToQuery(factsStatement(true, true)),
};
type PreparedFacts = ReturnType<Db["_"]["session"]["prepareQuery"]>;
const preparedFacts = new WeakMap<Db, Partial<Record<keyof typeof FACTS, PreparedFacts>>>();

/** A batch at least this large is read in BATCH_PARTS statements running at once. */
const SPLIT_BATCH_FROM = 2_000;
const BATCH_PARTS = 2;

type Part = { at: number[]; customers: string[]; purposes: string[]; channels: string[] };

/**
 * A large batch split in parts by customer (a hash of the reference), so that every check of one
 * customer is read in the same statement and so from the same snapshot; checks of two customers may
 * be read a few milliseconds apart, as two calls would be.
 */
function partsOf(queries: CheckQuery[]): Part[] {
  const count = queries.length >= SPLIT_BATCH_FROM ? BATCH_PARTS : 1;
  const parts = Array.from({ length: count }, (): Part => ({ at: [], customers: [], purposes: [], channels: [] }));
  queries.forEach((q, n) => {
    let hash = 0;
    if (count > 1) for (let i = 0; i < q.customer.length; i++) hash = (hash * 31 + q.customer.charCodeAt(i)) | 0;
    const part = parts[(hash >>> 0) % count]!;
    part.at.push(n);
    part.customers.push(q.customer);
    part.purposes.push(q.purpose);
    part.channels.push(q.channel);
  });
  return parts;
}

const rowsOf = (result: unknown): FactsRow[] => (Array.isArray(result) ? result : ((result as { rows?: FactsRow[] }).rows ?? []));

/**
 * Runs the facts statement as a prepared one, built once per database handle: the driver parses it
 * once per connection and then only binds and executes. Planning it costs several times running it
 * for one check, and a dialler asks hundreds of times a second (db.execute never prepares).
 * A large batch goes as two statements at once, on two connections of the pool: the database then
 * works on both halves in parallel (on PGlite, or in a transaction, they simply run one after the
 * other). The rows come back in the order of `queries`.
 */
async function loadFacts(db: Db, tenantId: string, queries: CheckQuery[], pastAt: Date | null): Promise<FactsRow[]> {
  const many = queries.length !== 1;
  const variant = `${pastAt ? "past" : "now"}_${many ? "many" : "one"}` as const;
  let cached = preparedFacts.get(db);
  if (!cached) preparedFacts.set(db, (cached = {}));
  const prepared = (cached[variant] ??= db._.session.prepareQuery(FACTS[variant], undefined, `consent_facts_${variant}`, false));
  const at = pastAt?.toISOString() ?? null;
  if (!many) {
    const [q] = queries;
    return rowsOf(await prepared.execute({ tenantId, customer: q!.customer, purpose: q!.purpose, channel: q!.channel, at }));
  }
  const inOrder = new Array<FactsRow>(queries.length);
  await Promise.all(
    partsOf(queries).map(async (part) => {
      if (!part.at.length) return;
      const rows = rowsOf(await prepared.execute({ tenantId, customers: part.customers, purposes: part.purposes, channels: part.channels, at }));
      for (const row of rows) inOrder[part.at[row.n]!] = row;
    }),
  );
  return inOrder;
}

function factsOf(tenantId: string, query: CheckQuery, row: FactsRow, at: Date, hashContactPoint?: ConsentFacts["hashContactPoint"]): ConsentFacts {
  const customer: CheckCustomer | null = row.customer_id ? { status: row.customer_status!, restricted: row.restricted!, email: row.email, phone: row.phone } : null;
  const latest: LatestConsent | null = row.event_id
    ? {
        status: row.status ?? STATUS_AFTER[row.action!],
        eventId: row.event_id,
        since: new Date(Number(row.since_ms)),
        validUntil: row.valid_until_ms === null ? null : new Date(Number(row.valid_until_ms)),
        contactPointHash: row.contact_point_hash,
      }
    : null;
  return { tenantId, customer, purpose: { reviewIntervalDays: row.review_interval_days }, channel: query.channel, latest, at, hashContactPoint };
}

/** A past time reads the ledger; now (or later) reads the current state, with expiry computed at `at`. */
const pastTime = (at: Date, now: Date) => (at.getTime() < now.getTime() ? at : null);

const purposeErrors = (row: FactsRow, query: CheckQuery, prefix: string): FieldError[] => {
  if (!row.purpose_id) return [{ path: `${prefix}purpose`, message: `unknown purpose '${query.purpose}'` }];
  if (!row.uses_channel) return [{ path: `${prefix}channel`, message: `purpose '${query.purpose}' does not use the channel '${query.channel}'` }];
  return [];
};

/**
 * May this customer be processed for this purpose on this channel at `at`? Now reads the current
 * state; a past time (an audit) reads the ledger as it stood then. One statement, then decideConsent.
 */
export async function checkConsent(db: Db, tenantId: string, query: CheckQuery & { at?: Date }, now = new Date()): Promise<ConsentCheck> {
  const at = query.at ?? now;
  const q: CheckQuery = { customer: query.customer, purpose: query.purpose, channel: query.channel };
  const [row] = await loadFacts(db, tenantId, [q], pastTime(at, now));
  const errors = purposeErrors(row!, q, "");
  if (errors.length) throw new ValidationError(errors);
  return checkAnswer(q, at, decideConsent(factsOf(tenantId, q, row!, at)));
}

// ---------------------------------------------------------------------------------------------
// The batch

/** Longest customer reference and purpose key a check takes: the schema and the batch's fast path share them. */
const MAX_REF_LENGTH = 200;
const MAX_PURPOSE_LENGTH = 100;

const checkEntry = z.object({
  customer: z.string("is required").trim().min(1, "is required").max(MAX_REF_LENGTH, `must be at most ${MAX_REF_LENGTH} characters`),
  purpose: z.string("is required").trim().min(1, "is required").max(MAX_PURPOSE_LENGTH, `must be at most ${MAX_PURPOSE_LENGTH} characters`),
  channel: z.enum(consentChannel.enumValues, "must be one of email, sms, phone, post, in_app"),
});

export const batchCheckSchema = z.object(
  {
    at: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with offset" }).optional(),
    checks: z
      .array(checkEntry, "must be a list of checks")
      .min(1, "must hold at least one check")
      .max(MAX_BATCH_CHECKS, `may hold at most ${MAX_BATCH_CHECKS.toLocaleString("en")} checks`),
  },
  "must be a JSON object",
);

const CHANNELS: ReadonlySet<string> = new Set(consentChannel.enumValues);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The batch as batchCheckSchema parses it, for a well-formed one, without Zod's cost per entry (ten
 * thousand entries): the same rules (strings, trimmed, 1–200 and 1–100 characters, a known channel,
 * 1–10,000 entries, `at` through the schema's own rule) and the same output (trimmed values, other
 * keys dropped). Null when anything is off: then the schema itself runs, and its errors, with their
 * paths (`checks.3.channel`), are the ones reported.
 */
function wellFormedBatch(body: unknown): { at?: string; checks: CheckQuery[] } | null {
  if (!isRecord(body)) return null;
  const { at, checks } = body;
  if (at !== undefined && !batchCheckSchema.shape.at.safeParse(at).success) return null;
  if (!Array.isArray(checks) || checks.length < 1 || checks.length > MAX_BATCH_CHECKS) return null;
  const queries = new Array<CheckQuery>(checks.length);
  for (let n = 0; n < checks.length; n++) {
    const entry: unknown = checks[n];
    if (!isRecord(entry)) return null;
    const { customer, purpose, channel } = entry;
    if (typeof customer !== "string" || typeof purpose !== "string" || typeof channel !== "string" || !CHANNELS.has(channel)) return null;
    const c = customer.trim();
    const p = purpose.trim();
    if (c.length < 1 || c.length > MAX_REF_LENGTH || p.length < 1 || p.length > MAX_PURPOSE_LENGTH) return null;
    queries[n] = { customer: c, purpose: p, channel: channel as ConsentChannel };
  }
  return at === undefined ? { checks: queries } : { at: at as string, checks: queries };
}

/** contactPointHash remembered for one batch (one tenant): a customer asked about on several channels or purposes is hashed once per contact point and key. */
function memoizedHash(): NonNullable<ConsentFacts["hashContactPoint"]> {
  const memo = new Map<string, string>();
  return (tenantId, value, keyId) => {
    const name = `${keyId}:${value}`; // a key id holds no colon
    let hash = memo.get(name);
    if (hash === undefined) memo.set(name, (hash = contactPointHash(tenantId, value, keyId)));
    return hash;
  };
}

/**
 * A batch of checks (a campaign list being scrubbed), answered in the order asked, each exactly as
 * the single check answers it. Every invalid entry is reported at once with its path
 * (`checks.3.channel`); an unknown customer is an answer (`unknown_customer`), not an error.
 * Set-based: one statement for the whole batch whatever its size (from 2,000 checks, two at once,
 * split by customer). A well-formed batch is read without Zod; anything else goes through
 * batchCheckSchema, whose errors are the ones reported.
 */
export async function checkConsents(db: Db, tenantId: string, body: unknown, now = new Date()): Promise<ConsentCheck[]> {
  let batch = wellFormedBatch(body);
  if (!batch) {
    const parsed = batchCheckSchema.safeParse(body);
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
    batch = parsed.data;
  }
  const at = batch.at ? new Date(batch.at) : now;
  const queries = batch.checks;
  const rows = await loadFacts(db, tenantId, queries, pastTime(at, now));
  const errors: FieldError[] = [];
  rows.forEach((row, n) => {
    if (!row.purpose_id || !row.uses_channel) errors.push(...purposeErrors(row, queries[n]!, `checks.${n}.`));
  });
  if (errors.length) throw new ValidationError(errors);
  const atIso = at.toISOString();
  const hash = memoizedHash();
  return rows.map((row, n) => checkAnswer(queries[n]!, atIso, decideConsent(factsOf(tenantId, queries[n]!, row, at, hash))));
}
