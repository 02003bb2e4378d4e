import { sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { queryRows, type Db } from "@/db/client";
import {
  consentEvents,
  consentState,
  devMailbox,
  outboxMessages,
  paymentMethods,
  staffRecoveryCodes,
  staffUsers,
  suppressionEntries,
  vaultTokens,
  verificationFactors,
  webhookEndpoints,
} from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { LEGACY_KEY_ID } from "@/lib/env";
import { UnknownKeyError, currentKeyId, seal, sealedKeyId, unseal } from "./keyring";

/** A column of sealed values: each can be opened and sealed again with the current key. */
type SealedColumn = { what: string; table: PgTable; key: PgColumn[]; column: PgColumn };

const SEALED_COLUMNS: SealedColumn[] = [
  {
    what: "outbox message recipients",
    table: outboxMessages,
    key: [outboxMessages.tenantId, outboxMessages.id],
    column: outboxMessages.recipient,
  },
  {
    what: "outbox message bodies",
    table: outboxMessages,
    key: [outboxMessages.tenantId, outboxMessages.id],
    column: outboxMessages.body,
  },
  { what: "dev mailbox recipients", table: devMailbox, key: [devMailbox.id], column: devMailbox.recipient },
  { what: "dev mailbox bodies", table: devMailbox, key: [devMailbox.id], column: devMailbox.body },
  {
    what: "webhook signing secrets",
    table: webhookEndpoints,
    key: [webhookEndpoints.tenantId, webhookEndpoints.id],
    column: webhookEndpoints.secretSealed,
  },
  { what: "staff TOTP secrets", table: staffUsers, key: [staffUsers.id], column: staffUsers.totpSecretSealed },
];

/**
 * A column of keyed hashes. None can be hashed again: the clear value is never kept (that is why it
 * is hashed), and the ledger's are chained besides. Each keeps its key for as long as it is kept.
 */
type HashedColumn = { what: string; table: PgTable; column: PgColumn; where?: SQL };

const HASHED_COLUMNS: HashedColumn[] = [
  {
    what: "consent ledger contact points (append-only and chained: never rewritten)",
    table: consentEvents,
    column: consentEvents.contactPointHash,
  },
  {
    what: "consent state contact points (copied from the ledger)",
    table: consentState,
    column: consentState.contactPointHash,
  },
  {
    what: "suppression list entries (the value is gone)",
    table: suppressionEntries,
    column: suppressionEntries.valueHash,
  },
  {
    what: "payment method fingerprints (the number is never kept)",
    table: paymentMethods,
    column: paymentMethods.fingerprint,
  },
  {
    what: "payment vault fingerprints (the number is never kept)",
    table: vaultTokens,
    column: vaultTokens.fingerprint,
  },
  {
    what: "one-time codes still valid (they lapse within minutes)",
    table: verificationFactors,
    column: verificationFactors.codeHash,
    where: sql`${verificationFactors.codeExpiresAt} > now()`,
  },
  {
    what: "unused staff recovery codes (never kept in clear)",
    table: staffRecoveryCodes,
    column: staffRecoveryCodes.codeHash,
    where: sql`${staffRecoveryCodes.usedAt} is null`,
  },
];

/** How many values of one kind still need a key that is not the current one. */
export type KeyUse = { keyId: string; what: string; count: number };

export type RotationReport = {
  currentKeyId: string;
  resealed: number;
  /** Sealed values whose key the ring no longer holds: left as they are. */
  unreadable: KeyUse[];
  /** What still references each old key: those keys must stay in ATTEST_KEYS. */
  stillNeeded: KeyUse[];
};

const SEALED_PREFIX = "sealed:";
const startsWith = (column: PgColumn, prefix: string) => sql`starts_with(${column}, ${prefix})`;

/**
 * Seals again, with the current key, every sealed value of one column made with another key: in
 * batches, each in its own transaction with its audit event, walking the table in key order, so an
 * interrupted run keeps what it did and a second run finds only what is left. A value changed
 * meanwhile (a message delivered and cleared) is left to its writer.
 */
async function resealColumn(
  db: Db,
  actor: Actor,
  spec: SealedColumn,
  batchSize: number,
  progress: (line: string) => void,
) {
  const current = `sealed:v2:${currentKeyId()}:`;
  const keyList = sql.join(spec.key, sql`, `);
  let after: string[] | null = null;
  let resealed = 0;
  const unreadable = new Map<string, number>();
  for (;;) {
    const from: SQL = after
      ? sql`and (${keyList}) > (${sql.join(
          after.map((v) => sql`${v}::uuid`),
          sql`, `,
        )})`
      : sql``;
    const rows = await queryRows<Record<string, string>>(
      db,
      sql`select ${sql.join(
        spec.key.map((k, i) => sql`${k}::text as ${sql.identifier(`k${i}`)}`),
        sql`, `,
      )}, ${spec.column} as value
        from ${spec.table}
        where ${startsWith(spec.column, SEALED_PREFIX)} and not ${startsWith(spec.column, current)} ${from}
        order by ${keyList} limit ${batchSize}`,
    );
    if (rows.length === 0) break;
    let done = 0;
    await db.transaction(async (tx) => {
      for (const row of rows) {
        let again: string;
        try {
          again = seal(unseal(row.value!));
        } catch (error) {
          if (!(error instanceof UnknownKeyError)) throw error;
          const keyId = sealedKeyId(row.value!);
          unreadable.set(keyId, (unreadable.get(keyId) ?? 0) + 1);
          continue;
        }
        const sameRow = sql.join(
          spec.key.map((k, i) => sql`${sql.identifier(k.name)} = ${row[`k${i}`]}::uuid`),
          sql` and `,
        );
        const updated = await queryRows(
          tx,
          sql`update ${spec.table} set ${sql.identifier(spec.column.name)} = ${again}
            where ${sameRow} and ${sql.identifier(spec.column.name)} = ${row.value} returning 1 as one`,
        );
        done += updated.length;
      }
      if (done > 0) {
        await recordAudit(tx, actor, {
          tenantId: null,
          action: "keys.resealed",
          entityType: "keyring",
          after: { what: spec.what, count: done, key: currentKeyId() },
          reason: "npm run keys:rotate",
        });
      }
    });
    resealed += done;
    after = spec.key.map((_, i) => rows.at(-1)![`k${i}`]!);
    progress(`  ${spec.what}: ${resealed} re-sealed so far`);
  }
  return { resealed, unreadable: [...unreadable].map(([keyId, count]) => ({ keyId, what: spec.what, count })) };
}

/** Per key id other than the current one, how many values of each kind still reference it. */
export async function olderKeyUses(db: Db): Promise<KeyUse[]> {
  const current = currentKeyId();
  const uses: KeyUse[] = [];
  for (const spec of SEALED_COLUMNS) {
    const keyOf = sql`case when ${startsWith(spec.column, "sealed:v2:")} then split_part(${spec.column}, ':', 3) else ${LEGACY_KEY_ID} end`;
    const rows = await queryRows<{ key_id: string; count: number }>(
      db,
      sql`select ${keyOf} as key_id, count(*)::int as count from ${spec.table} where ${startsWith(spec.column, SEALED_PREFIX)} group by 1`,
    );
    uses.push(
      ...rows
        .filter((r) => r.key_id !== current)
        .map((r) => ({ keyId: r.key_id, what: `sealed ${spec.what}`, count: Number(r.count) })),
    );
  }
  for (const spec of HASHED_COLUMNS) {
    const keyOf = sql`case when strpos(${spec.column}, ':') > 0 then split_part(${spec.column}, ':', 1) else ${LEGACY_KEY_ID} end`;
    const rows = await queryRows<{ key_id: string; count: number }>(
      db,
      sql`select ${keyOf} as key_id, count(*)::int as count from ${spec.table}
        where ${spec.column} is not null ${spec.where ? sql`and ${spec.where}` : sql``} group by 1`,
    );
    uses.push(
      ...rows
        .filter((r) => r.key_id !== current)
        .map((r) => ({ keyId: r.key_id, what: spec.what, count: Number(r.count) })),
    );
  }
  return uses.sort((a, b) => a.keyId.localeCompare(b.keyId));
}

/**
 * `npm run keys:rotate`: moves every sealed value onto the current key, then reports what still
 * needs each older key. Safe to run again, and to interrupt.
 */
export async function rotateKeys(
  db: Db,
  actor: Actor,
  progress: (line: string) => void = () => {},
  batchSize = 500,
): Promise<RotationReport> {
  let resealed = 0;
  const unreadable: KeyUse[] = [];
  for (const spec of SEALED_COLUMNS) {
    progress(`Re-sealing ${spec.what} with key '${currentKeyId()}'…`);
    const result = await resealColumn(db, actor, spec, batchSize, progress);
    resealed += result.resealed;
    unreadable.push(...result.unreadable);
  }
  return { currentKeyId: currentKeyId(), resealed, unreadable, stillNeeded: await olderKeyUses(db) };
}
