"use server";

import { z } from "zod";
import { staffAction } from "@/lib/action";
import { verifyTenantLedger } from "@/lib/consent/verify";

export type LedgerCheckResult =
  | { ok: true; events: number; customers: number; checkedAt: string }
  | {
      ok: false;
      events: number;
      customers: number;
      checkedAt: string;
      broken: { id: string; customerRef: string | null; purpose: string | null; channel: string | null; occurredAt: string | null };
    };

/** Recomputes the tenant's hash chains; every run is audited, a broken chain as a failure. */
export const verifyLedgerAction = staffAction(
  { roles: ["supervisor", "admin"], schema: z.object({ tenantId: z.uuid("Choose a tenant") }) },
  async (input, actor, db): Promise<LedgerCheckResult> => {
    const result = await verifyTenantLedger(db, actor, input);
    const checkedAt = result.checkedAt.toISOString();
    if (result.ok) return { ok: true, events: result.events, customers: result.customers, checkedAt };
    return {
      ok: false,
      events: result.events,
      customers: result.customers,
      checkedAt,
      broken: {
        id: result.brokenEventId,
        customerRef: result.broken?.customerRef ?? null,
        purpose: result.broken?.purpose ?? null,
        channel: result.broken?.channel ?? null,
        occurredAt: result.broken?.occurredAt.toISOString() ?? null,
      },
    };
  },
);
