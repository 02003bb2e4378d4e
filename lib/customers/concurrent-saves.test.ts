import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerPreferences, preferenceTopics, subscriptions, type Customer, type Interaction } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ConflictError, ValidationError } from "@/lib/errors";
import { customerByRef, freshCall, verifyStrongly } from "@/lib/payments/testing";
import { updateMarketingPreferences } from "@/lib/preferences/preferences";
import { pauseSubscription, switchCycle } from "@/lib/subscriptions/subscriptions";
import { updateProfile } from "./profile";

/**
 * Two agents, the same customer, the same moment: both saves start from the same version, one wins,
 * the other is told (with the current values) and writes nothing, and the winner's change is not lost.
 * The saves run with Promise.all: on PostgreSQL each takes its own pooled connection, so they truly
 * race; on PGlite (one connection) they queue, and the version check still decides.
 */

const RAJ_DOB = "1972-04-04";

/** Both outcomes of a race: exactly one save succeeded, and the other was refused. */
function oneWins<T>(results: PromiseSettledResult<T>[]): { winner: number; loser: unknown } {
  const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
  expect(won).toHaveLength(1);
  const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  return { winner: won[0]!, loser: lost.reason };
}

describe("concurrent stale saves", () => {
  let t: TestDatabase;
  let raj: Customer;
  const agents: { actor: StaffActor; call: Interaction }[] = [];

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    raj = await customerByRef(t.db, "acme", "ACME-0008");
    for (const email of ["agent@demo.test", "agent.acme@demo.test"]) {
      const actor = await signedInStaff(t.db, email);
      const call = await freshCall(t.db, actor, raj);
      await verifyStrongly(t.db, actor, call, RAJ_DOB);
      agents.push({ actor, call });
    }
  });
  afterAll(() => t?.close());

  it("keeps one profile change and tells the other agent what the profile now holds", async () => {
    const names = ["Raj Patel-Shah", "Rajesh Patel"];
    const results = await Promise.allSettled(
      agents.map(({ actor, call }, i) =>
        updateProfile(t.db, actor, {
          interactionId: call.id,
          customerId: raj.id,
          version: raj.version,
          name: names[i],
        }),
      ),
    );
    const { winner, loser } = oneWins(results);
    expect(loser).toBeInstanceOf(ValidationError);
    expect((loser as ValidationError).fieldErrors).toEqual([
      { path: "name", message: expect.stringContaining(names[winner]!) },
    ]);
    const now = await customerByRef(t.db, "acme", "ACME-0008");
    expect(now.name).toBe(names[winner]);
    expect(now.version).toBe(raj.version + 1);
  });

  it("keeps one preferences change and refuses the other", async () => {
    const where = and(eq(customerPreferences.tenantId, raj.tenantId), eq(customerPreferences.customerId, raj.id));
    const [before] = await t.db.select().from(customerPreferences).where(where);
    const topics = await t.db.select().from(preferenceTopics).where(eq(preferenceTopics.tenantId, raj.tenantId));
    const choices = [
      { topicKeys: [topics[0]!.key], frequency: "weekly" as const },
      { topicKeys: [topics[1]!.key], frequency: "monthly" as const },
    ];
    const results = await Promise.allSettled(
      agents.map(({ actor, call }, i) =>
        updateMarketingPreferences(t.db, actor, {
          interactionId: call.id,
          customerId: raj.id,
          version: before?.version ?? 0,
          ...choices[i]!,
        }),
      ),
    );
    const { winner, loser } = oneWins(results);
    expect(loser).toBeInstanceOf(ValidationError);
    const [after] = await t.db.select().from(customerPreferences).where(where);
    expect(after).toMatchObject({ ...choices[winner], version: (before?.version ?? 0) + 1 });
  });

  it("keeps one subscription change and tells the other agent what the subscription now is", async () => {
    const [sub] = await t.db.select().from(subscriptions).where(eq(subscriptions.customerId, raj.id));
    const input = (i: number) => ({
      interactionId: agents[i]!.call.id,
      customerId: raj.id,
      subscriptionId: sub!.id,
      version: sub!.version,
    });
    const results = await Promise.allSettled([
      switchCycle(t.db, agents[0]!.actor, { ...input(0), cycle: sub!.cycle === "monthly" ? "yearly" : "monthly" }),
      pauseSubscription(t.db, agents[1]!.actor, { ...input(1), reason: "Travelling for three months" }),
    ]);
    const { winner, loser } = oneWins(results);
    expect(loser).toBeInstanceOf(ConflictError);
    expect((loser as ConflictError).current).toBeDefined();
    const [after] = await t.db.select().from(subscriptions).where(eq(subscriptions.id, sub!.id));
    expect(after!.version).toBe(sub!.version + 1);
    if (winner === 1) expect(after!.status).toBe("paused");
    else expect(after!.status).toBe(sub!.status);
  });
});
