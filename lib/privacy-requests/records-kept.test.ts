import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privacyRequests, tenants } from "@/db/schema";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { customerByRef } from "@/lib/payments/testing";

/** RULES.md D9: the record of a request outlives it by 24 months (6 years under HIPAA), whatever an operator runs in SQL. */
describe("privacy request records", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
  });
  afterAll(() => t.close());

  const requestOf = async (ref: string, tenantKey: "acme" | "globex") => {
    const customer = await customerByRef(t.db, tenantKey, ref);
    const [request] = await t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, customer.tenantId), eq(privacyRequests.customerId, customer.id)));
    return request!;
  };
  const deleteRequest = (id: string) => t.db.execute(sql`delete from privacy_requests where id = ${id}`);
  /** The trigger's refusal (insufficient_privilege), not any other failure. */
  const refusal = async (attempt: Promise<unknown>) => {
    const error = await attempt.then(() => null, (e: unknown) => e as { cause?: { code?: string }; code?: string });
    return error?.cause?.code ?? error?.code ?? null;
  };
  const stillThere = async (id: string) => (await t.db.select({ id: privacyRequests.id }).from(privacyRequests).where(eq(privacyRequests.id, id))).length === 1;

  it("refuses to delete an open request, and one closed less than 24 months ago", async () => {
    const open = await requestOf("ACME-0012", "acme"); // the demo's erasure waiting for identity
    expect(open.completedAt).toBeNull();
    expect(await refusal(deleteRequest(open.id))).toBe("42501");
    const recent = await requestOf("GLX-0010", "globex"); // the demo's opt-out, completed days ago
    expect(recent.status).toBe("completed");
    expect(await refusal(deleteRequest(recent.id))).toBe("42501");
    expect(await stillThere(open.id)).toBe(true);
    expect(await stillThere(recent.id)).toBe(true);
    expect(await refusal(t.db.execute(sql`truncate privacy_requests cascade`))).toBe("42501");
  });

  it("lets a purge delete a request closed more than 24 months ago", async () => {
    const old = await requestOf("GLX-0010", "globex");
    await t.db.update(privacyRequests).set({ completedAt: sql`now() - interval '25 months'` }).where(eq(privacyRequests.id, old.id));
    await deleteRequest(old.id);
    expect(await stillThere(old.id)).toBe(false);
  });

  /** Closes the request `ago` (a PostgreSQL interval) before now, under `regime`. */
  const closedAgo = (id: string, ago: string, regime?: string) =>
    t.db
      .update(privacyRequests)
      .set({ status: "completed", completedAt: sql`now() - ${ago}::interval`, ...(regime ? { regime } : {}) })
      .where(eq(privacyRequests.id, id));

  it("keeps a HIPAA request 6 years after it closes (45 CFR §164.530(j)), not 24 months", async () => {
    const request = await requestOf("ACME-0011", "acme"); // the demo's access request
    await closedAgo(request.id, "25 months", "hipaa");
    expect(await refusal(deleteRequest(request.id))).toBe("42501");
    await closedAgo(request.id, "5 years 11 months");
    expect(await refusal(deleteRequest(request.id))).toBe("42501");
    expect(await stillThere(request.id)).toBe(true);
    await closedAgo(request.id, "6 years 1 month");
    await deleteRequest(request.id);
    expect(await stillThere(request.id)).toBe(false);
  });

  it("keeps 6 years every request of a tenant that enables HIPAA, as its retention hold says, whatever the request's own regime", async () => {
    const request = await requestOf("GLX-0008", "globex"); // the demo's access request, under the CCPA
    expect(request.regime).toBe("ccpa");
    await closedAgo(request.id, "25 months");
    const [globex] = await t.db.select().from(tenants).where(eq(tenants.id, request.tenantId));
    await t.db.update(tenants).set({ rulePacks: [...globex!.rulePacks, "hipaa"] }).where(eq(tenants.id, request.tenantId));
    try {
      expect(await refusal(deleteRequest(request.id))).toBe("42501");
      expect(await stillThere(request.id)).toBe(true);
    } finally {
      await t.db.update(tenants).set({ rulePacks: globex!.rulePacks }).where(eq(tenants.id, request.tenantId));
    }
    // Without HIPAA, 24 months is enough.
    await deleteRequest(request.id);
    expect(await stillThere(request.id)).toBe(false);
  });
});
