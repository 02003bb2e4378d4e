import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { tenants, type ConsentChannel, type ConsentStatus } from "@/db/schema";
import { assertRole, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { STATUS_AFTER } from "./ledger";
import { verifyLedger } from "./verify";

export const rebuildSchema = z.object({
  tenantId: z.uuid("unknown tenant").optional(),
  apply: z.boolean().default(false),
  /** How many differences to list (all are counted and, with `apply`, repaired). */
  listLimit: z.number().int().min(0).max(100_000).default(1_000),
});

export type ProjectedState = { status: ConsentStatus; eventId: string; since: string; validUntil: string | null; contactPointHash: string | null };

export type ProjectionDifference = {
  kind: "missing" | "extra" | "different";
  tenantId: string;
  customerId: string;
  purposeId: string;
  purpose: string | null;
  channel: ConsentChannel;
  /** What the ledger says the state is (null: there should be no row). */
  expected: ProjectedState | null;
  /** What `consent_state` holds (null: no row). */
  found: ProjectedState | null;
};

export type RebuildReport = {
  tenantId: string | null;
  applied: boolean;
  missing: number;
  extra: number;
  different: number;
  /** The first `listLimit` differences, by tenant, customer, purpose and channel. */
  differences: ProjectionDifference[];
};

// The projection's rule, from the one map appendConsentEvent uses. The values are our own enum
// constants, written into the statement as literals so that both drivers type them alike.
const statusCase = (() => {
  const branches = Object.entries(STATUS_AFTER).map(([action, status]) => {
    if (!/^[a-z_]+$/.test(action) || !/^[a-z_]+$/.test(status)) throw new Error("unexpected consent action or status");
    return `when '${action}' then '${status}'`;
  });
  return sql.raw(`(case e.action ${branches.join(" ")} end)::consent_status`);
})();

/**
 * The current state per customer × purpose × channel as the ledger defines it, set-based: the event
 * that happened last wins, and of events that happened at the same time the later appended (higher
 * chain position; appends to one customer's chain are serialised) — exactly what appendConsentEvent's
 * upsert does (`since <= occurredAt` replaces).
 */
function expectedStates(tenantFilter: SQL): SQL {
  return sql`
    select distinct on (e.tenant_id, e.customer_id, e.purpose_id, e.channel)
      e.tenant_id, e.customer_id, e.purpose_id, e.channel, ${statusCase} as status,
      e.id as event_id, e.occurred_at as since, e.valid_until, e.contact_point_hash
    from consent_events e
    where ${tenantFilter}
    order by e.tenant_id, e.customer_id, e.purpose_id, e.channel, e.occurred_at desc, e.chain_seq desc`;
}

const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

type DiffRow = {
  kind: ProjectionDifference["kind"];
  tenant_id: string;
  customer_id: string;
  purpose_id: string;
  purpose: string | null;
  channel: ConsentChannel;
  x_status: ConsentStatus | null;
  x_event_id: string | null;
  x_since: string | null;
  x_valid_until: string | null;
  x_contact_point_hash: string | null;
  f_status: ConsentStatus | null;
  f_event_id: string | null;
  f_since: string | null;
  f_valid_until: string | null;
  f_contact_point_hash: string | null;
  missing: number | string;
  extra: number | string;
  different: number | string;
};

async function compare(db: Db, tenantId: string | undefined, listLimit: number): Promise<Omit<RebuildReport, "applied">> {
  const eventsOf = tenantId ? sql`e.tenant_id = ${tenantId}::uuid` : sql`true`;
  const stateOf = tenantId ? sql`s.tenant_id = ${tenantId}::uuid` : sql`true`;
  const rows = await queryRows<DiffRow>(
    db,
    sql`
    with expected as (${expectedStates(eventsOf)}),
    found as (select s.* from consent_state s where ${stateOf}),
    diff as (
      select
        case when f.tenant_id is null then 'missing' when x.tenant_id is null then 'extra' else 'different' end as kind,
        coalesce(x.tenant_id, f.tenant_id) as tenant_id,
        coalesce(x.customer_id, f.customer_id) as customer_id,
        coalesce(x.purpose_id, f.purpose_id) as purpose_id,
        coalesce(x.channel, f.channel) as channel,
        x.status as x_status, x.event_id as x_event_id, ${iso(sql`x.since`)} as x_since, ${iso(sql`x.valid_until`)} as x_valid_until, x.contact_point_hash as x_contact_point_hash,
        f.status as f_status, f.event_id as f_event_id, ${iso(sql`f.since`)} as f_since, ${iso(sql`f.valid_until`)} as f_valid_until, f.contact_point_hash as f_contact_point_hash
      from expected x
      full join found f
        on f.tenant_id = x.tenant_id and f.customer_id = x.customer_id and f.purpose_id = x.purpose_id and f.channel = x.channel
      where f.tenant_id is null or x.tenant_id is null
        or (x.status, x.event_id, x.since, x.valid_until, x.contact_point_hash) is distinct from (f.status, f.event_id, f.since, f.valid_until, f.contact_point_hash)
    )
    select d.*, p.key as purpose,
      count(*) filter (where d.kind = 'missing') over () as missing,
      count(*) filter (where d.kind = 'extra') over () as extra,
      count(*) filter (where d.kind = 'different') over () as different
    from diff d
    left join purposes p on p.tenant_id = d.tenant_id and p.id = d.purpose_id
    order by d.tenant_id, d.customer_id, d.purpose_id, d.channel
    limit ${Math.max(listLimit, 1)}`,
  );
  const state = (prefix: "x" | "f", row: DiffRow): ProjectedState | null =>
    row[`${prefix}_status`] === null
      ? null
      : {
          status: row[`${prefix}_status`]!,
          eventId: row[`${prefix}_event_id`]!,
          since: row[`${prefix}_since`]!,
          validUntil: row[`${prefix}_valid_until`],
          contactPointHash: row[`${prefix}_contact_point_hash`],
        };
  const [first] = rows;
  return {
    tenantId: tenantId ?? null,
    missing: Number(first?.missing ?? 0),
    extra: Number(first?.extra ?? 0),
    different: Number(first?.different ?? 0),
    differences: rows.slice(0, listLimit).map((row) => ({
      kind: row.kind,
      tenantId: row.tenant_id,
      customerId: row.customer_id,
      purposeId: row.purpose_id,
      purpose: row.purpose,
      channel: row.channel,
      expected: state("x", row),
      found: state("f", row),
    })),
  };
}

/**
 * Recomputes the consent projection from the ledger and reports where `consent_state` differs:
 * rows missing, rows the ledger does not explain, and rows whose status, event, since, validity or
 * contact point differ. With `apply`, and only when the ledger verifies, repairs them in one
 * transaction, with one audit event; the
 * projection is locked against concurrent appends meanwhile, so the repair sees a settled ledger.
 */
export async function rebuildConsentState(db: Db, actor: Actor, input: z.input<typeof rebuildSchema>): Promise<RebuildReport> {
  assertRole(actor, "admin");
  const parsed = rebuildSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const { tenantId, apply, listLimit } = parsed.data;
  if (!apply) return { ...(await compare(db, tenantId, listLimit)), applied: false };

  return db.transaction(async (tx) => {
    // Appends upsert consent_state; this mode makes them wait until the repair commits.
    await tx.execute(sql`lock table consent_state in share row exclusive mode`);
    // The projection is only ever repaired from a ledger that verifies: rebuilt from a chain whose last
    // withdrawal was deleted behind our back, it would hand the customer's old grant back.
    const scope = tenantId ? [tenantId] : (await tx.select({ id: tenants.id }).from(tenants)).map((t) => t.id);
    for (const id of scope) {
      // The chains only: a state naming an event that is not in the ledger is one of the differences repaired here.
      const ledger = await verifyLedger(tx, id, { chainsOnly: true });
      if (!ledger.ok) throw new ConflictError(`The consent ledger of tenant ${id} does not verify (first broken event ${ledger.brokenEventId}); nothing was repaired. Investigate the ledger before rebuilding its projection.`);
    }
    const report = await compare(tx, tenantId, listLimit);
    if (report.missing + report.extra + report.different > 0) {
      const eventsOf = tenantId ? sql`e.tenant_id = ${tenantId}::uuid` : sql`true`;
      const stateOf = tenantId ? sql`s.tenant_id = ${tenantId}::uuid` : sql`true`;
      await tx.execute(sql`
        with expected as (${expectedStates(eventsOf)})
        delete from consent_state s
        where ${stateOf}
          and not exists (
            select 1 from expected x
            where x.tenant_id = s.tenant_id and x.customer_id = s.customer_id and x.purpose_id = s.purpose_id and x.channel = s.channel
          )`);
      await tx.execute(sql`
        insert into consent_state (tenant_id, customer_id, purpose_id, channel, status, event_id, since, valid_until, contact_point_hash)
        select tenant_id, customer_id, purpose_id, channel, status, event_id, since, valid_until, contact_point_hash
        from (${expectedStates(eventsOf)}) x
        on conflict (tenant_id, customer_id, purpose_id, channel) do update
          set status = excluded.status, event_id = excluded.event_id, since = excluded.since,
              valid_until = excluded.valid_until, contact_point_hash = excluded.contact_point_hash
          where (consent_state.status, consent_state.event_id, consent_state.since, consent_state.valid_until, consent_state.contact_point_hash)
            is distinct from (excluded.status, excluded.event_id, excluded.since, excluded.valid_until, excluded.contact_point_hash)`);
    }
    await recordAudit(tx, actor, {
      tenantId: tenantId ?? null,
      action: "consent.state_rebuilt",
      entityType: "consent_state",
      after: { scope: tenantId ? "tenant" : "all tenants", missing: report.missing, extra: report.extra, different: report.different },
      reason: "projection rebuilt from the ledger",
    });
    return { ...report, applied: true };
  });
}
