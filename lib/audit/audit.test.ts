import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditEvents, customers } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { putCustomer } from "@/lib/customers/customers";

/** Drivers wrap the server's error; the trigger's message is somewhere in the cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(" | ");
}

async function refusal(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
  } catch (error) {
    return errorText(error);
  }
  throw new Error("the statement was not refused");
}

async function auditCount(t: TestDatabase): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(t.db, sql`select count(*) as n from audit_events`);
  return Number(row!.n);
}

class Abort extends Error {}

describe("audit trail", () => {
  let t: TestDatabase;
  let acmeId: string;
  let agent: StaffActor;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acmeId = await tenantIdByKey(t.db, "acme");
    agent = await signedInStaff(t.db, "agent@demo.test", "203.0.113.7");
  });
  afterAll(() => t?.close());

  describe("is append-only in the database itself", () => {
    it("refuses UPDATE run directly in SQL and leaves the events as they were", async () => {
      const before = await queryRows<{ id: string; action: string }>(t.db, sql`select id, action from audit_events order by id`);
      expect(before.length).toBeGreaterThan(0);
      const message = await refusal(t.db.execute(sql`update audit_events set action = 'tampered', reason = 'tampered'`));
      expect(message).toMatch(/append-only: UPDATE is not allowed/);
      const after = await queryRows<{ id: string; action: string }>(t.db, sql`select id, action from audit_events order by id`);
      expect(after).toEqual(before);
    });

    it("refuses UPDATE of a single event too", async () => {
      const [one] = await queryRows<{ id: string }>(t.db, sql`select id from audit_events limit 1`);
      const message = await refusal(t.db.execute(sql`update audit_events set outcome = 'failure' where id = ${one!.id}`));
      expect(message).toMatch(/append-only: UPDATE is not allowed/);
      const [row] = await queryRows<{ outcome: string }>(t.db, sql`select outcome from audit_events where id = ${one!.id}`);
      expect(row!.outcome).toBe("success");
    });

    it("refuses DELETE run directly in SQL", async () => {
      const count = await auditCount(t);
      const message = await refusal(t.db.execute(sql`delete from audit_events`));
      expect(message).toMatch(/append-only: DELETE is not allowed/);
      expect(await auditCount(t)).toBe(count);
    });

    it("refuses TRUNCATE", async () => {
      const count = await auditCount(t);
      const message = await refusal(t.db.execute(sql`truncate audit_events`));
      expect(message).toMatch(/append-only: TRUNCATE is not allowed/);
      expect(await auditCount(t)).toBe(count);
    });
  });

  describe("is written in the same transaction as the change", () => {
    it("keeps neither a new customer nor its audit event when the transaction fails afterwards", async () => {
      const count = await auditCount(t);
      let createdId: string | undefined;
      await expect(
        t.db.transaction(async (tx) => {
          const { created, customer } = await putCustomer(tx, agent, acmeId, "ACME-9001", { name: "Rolled Back", email: "rolled.back@example.com" });
          expect(created).toBe(true);
          createdId = customer.id;
          // Inside the transaction the change and its event exist…
          const events = await tx.select().from(auditEvents).where(eq(auditEvents.entityId, customer.id));
          expect(events).toHaveLength(1);
          throw new Abort("something after the change failed");
        }),
      ).rejects.toBeInstanceOf(Abort);

      // …and after the rollback neither does.
      expect(createdId).toBeDefined();
      const rows = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-9001")));
      expect(rows).toEqual([]);
      expect(await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, createdId!))).toEqual([]);
      expect(await auditCount(t)).toBe(count);
    });

    it("keeps neither an update of an existing customer nor its audit event when the transaction fails", async () => {
      const [before] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0002")));
      const count = await auditCount(t);
      await expect(
        t.db.transaction(async (tx) => {
          const { created, customer } = await putCustomer(tx, agent, acmeId, "ACME-0002", { name: "Someone Else" });
          expect(created).toBe(false);
          expect(customer.version).toBe(before!.version + 1);
          throw new Abort("rolled back");
        }),
      ).rejects.toBeInstanceOf(Abort);
      const [after] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0002")));
      expect(after).toEqual(before);
      expect(await auditCount(t)).toBe(count);
    });
  });

  it("does not make a change whose audit event cannot be written", async () => {
    // A trigger of this test's own database refuses one particular audit event.
    await t.db.execute(sql`create function refuse_test_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit store unavailable'; end $$`);
    await t.db.execute(sql`create trigger refuse_test_audit before insert on audit_events
      for each row when (new.after->>'language' = 'tlh') execute function refuse_test_audit()`);
    try {
      const count = await auditCount(t);
      const message = await refusal(putCustomer(t.db, agent, acmeId, "ACME-9004", { name: "Never Written", language: "tlh" }));
      expect(message).toMatch(/audit store unavailable/);
      expect(await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-9004")))).toEqual([]);
      // Nor an update of an existing customer.
      const [before] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0003")));
      await refusal(putCustomer(t.db, agent, acmeId, "ACME-0003", { name: before!.name, language: "tlh" }));
      const [after] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0003")));
      expect(after).toEqual(before);
      expect(await auditCount(t)).toBe(count);
    } finally {
      await t.db.execute(sql`drop trigger refuse_test_audit on audit_events`);
      await t.db.execute(sql`drop function refuse_test_audit()`);
    }
  });

  it("records a successful putCustomer with exactly one event, its personal data masked", async () => {
    const count = await auditCount(t);
    const input = {
      name: "Gráinne Mhaol",
      email: "Grainne.Mhaol@Example.IE",
      phone: "07912 345678",
      address: { line1: "7 Quay Street", city: "Galway Bay", postcode: "BT9 9ZZ", country: "gb" },
      dateOfBirth: "1971-04-18",
      language: "ga",
    };
    const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-9002", input);
    expect(created).toBe(true);
    expect(customer.phone).toBe("+447912345678");
    expect(await auditCount(t)).toBe(count + 1);

    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, customer.id));
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({
      tenantId: acmeId,
      actorType: "staff",
      actorId: agent.id,
      actorLabel: "agent@demo.test",
      customerId: customer.id,
      action: "customer.created",
      entityType: "customer",
      outcome: "success",
      ip: "203.0.113.7",
    });
    expect(event.after).toEqual({
      name: "G••• M•••",
      email: "g•••@e•••.ie",
      phone: "•••• •••678",
      address: "Galway Bay",
      dateOfBirth: "••/••/••••",
      language: "ga",
    });
    const json = JSON.stringify([event.before, event.after]).toLowerCase();
    for (const clear of ["gráinne", "mhaol", "grainne.mhaol@example.ie", "example.ie", "+447912345678", "07912 345678", "7912345", "quay street", "bt9 9zz", "1971-04-18"]) {
      expect(json).not.toContain(clear);
    }
  });

  it("records an update with only the changed fields, masked on both sides", async () => {
    await putCustomer(t.db, agent, acmeId, "ACME-9003", { name: "Nora Quinn", email: "nora.quinn@example.com", phone: "07831 246810" });
    const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-9003", {
      name: "Nora Quinn",
      email: "nora.q@another.org",
      phone: "07831 246810",
    });
    expect(created).toBe(false);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, customer.id), eq(auditEvents.action, "customer.updated")));
    expect(event!.before).toEqual({ email: "n•••@e•••.com" });
    expect(event!.after).toEqual({ email: "n•••@a•••.org" });
    const json = JSON.stringify([event!.before, event!.after]);
    expect(json).not.toContain("nora.quinn@example.com");
    expect(json).not.toContain("nora.q@another.org");
  });
});
