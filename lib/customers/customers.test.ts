import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditEvents, customers } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { findCustomerByRef, putCustomer } from "./customers";
import type { CustomerInput } from "./schema";

async function validationErrorOf(promise: Promise<unknown>): Promise<ValidationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError, but the call succeeded");
}

describe("putCustomer", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let agentAcme: StaffActor;
  let acmeId: string;
  let globexId: string;

  async function row(tenantId: string, ref: string) {
    const [found] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return found;
  }

  async function counts() {
    const [c] = await queryRows<{ customers: string | number; audits: string | number }>(
      t.db,
      sql`select (select count(*) from customers) as customers, (select count(*) from audit_events) as audits`,
    );
    return { customers: Number(c!.customers), audits: Number(c!.audits) };
  }

  const ada: CustomerInput = {
    name: "Ada Lovelace",
    email: "Ada.Lovelace@Example.com",
    phone: "07912 345678",
    address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "gb" },
    dateOfBirth: "1985-12-10",
    language: "en-GB",
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
    globexId = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t?.close());

  describe("create, update, no-op", () => {
    let id: string;

    it("creates a customer (created: true, version 1), normalised", async () => {
      const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-5000", ada);
      expect(created).toBe(true);
      id = customer.id;
      expect(customer).toMatchObject({
        tenantId: acmeId,
        ref: "ACME-5000",
        name: "Ada Lovelace",
        nameSearch: "ada lovelace",
        email: "ada.lovelace@example.com",
        phone: "+447912345678",
        address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "GB" },
        dateOfBirth: "1985-12-10",
        language: "en-GB",
        status: "active",
        version: 1,
      });
      expect(await row(acmeId, "ACME-5000")).toMatchObject({ id, version: 1, email: "ada.lovelace@example.com" });
    });

    it("updates it (created: false, version incremented), clearing a field left out", async () => {
      const { email: _email, ...withoutEmail } = ada;
      const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-5000", { ...withoutEmail, name: "Ada King" });
      expect(created).toBe(false);
      expect(customer).toMatchObject({ id, version: 2, name: "Ada King", nameSearch: "ada king", email: null });
      expect(await row(acmeId, "ACME-5000")).toMatchObject({ id, version: 2, name: "Ada King", email: null });
      const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
      expect(events.map((e) => e.action).sort()).toEqual(["customer.created", "customer.updated"]);
    });

    it("changes nothing for a second identical put: no new version, no new audit event", async () => {
      const input = { ...ada, email: undefined, name: "Ada King" };
      const before = await row(acmeId, "ACME-5000");
      const countsBefore = await counts();
      // The same content, spelt differently: email case, country case, address keys in another order.
      const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-5000", {
        ...input,
        address: { country: "GB", postcode: "SW1Y 4JH", city: "London", line1: "12 St James's Square" },
      });
      expect(created).toBe(false);
      expect(customer.version).toBe(2);
      expect(await row(acmeId, "ACME-5000")).toEqual(before);
      expect(await counts()).toEqual(countsBefore);
    });

    it("changes nothing when the very same body is sent again, nor when only the email's case differs", async () => {
      await putCustomer(t.db, agent, acmeId, "ACME-5004", ada);
      const before = await row(acmeId, "ACME-5004");
      const countsBefore = await counts();
      for (const input of [ada, { ...ada, email: "ADA.LOVELACE@EXAMPLE.COM" }, { ...ada, phone: "+44 7912 345678" }]) {
        const { created, customer } = await putCustomer(t.db, agent, acmeId, "ACME-5004", input);
        expect(created).toBe(false);
        expect(customer.version).toBe(1);
      }
      expect(await row(acmeId, "ACME-5004")).toEqual(before);
      expect(await counts()).toEqual(countsBefore);
    });

    it("reads a reference with surrounding spaces as the same customer", async () => {
      const { created, customer } = await putCustomer(t.db, agent, acmeId, "  ACME-5000 ", { ...ada, name: "Ada King", email: undefined });
      expect(created).toBe(false);
      expect(customer.id).toBe(id);
      expect(await t.db.select().from(customers).where(sql`trim(${customers.ref}) = 'ACME-5000'`)).toHaveLength(1);
      expect((await findCustomerByRef(t.db, agent, acmeId, " ACME-5000 "))?.id).toBe(id);
    });
  });

  it("makes one customer of several first PUTs of the same reference at the same moment", async () => {
    // On PostgreSQL these run on separate connections at once.
    const results = await Promise.all(
      Array.from({ length: 8 }, () => putCustomer(t.db, agent, acmeId, "ACME-5020", { name: "Twin Submit", email: "twin@example.com" })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.customer.id)).size).toBe(1);
    const rows = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-5020")));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.version).toBe(1);
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, rows[0]!.id));
    expect(events.map((e) => e.action)).toEqual(["customer.created"]);
  });

  describe("validation", () => {
    it("reports every invalid field at once, with its path, and writes nothing", async () => {
      const before = await counts();
      const error = await validationErrorOf(
        putCustomer(t.db, agent, acmeId, "ACME-5001", {
          name: "  ",
          email: "not-an-email",
          phone: "12345",
          address: { line1: "1 High Street", city: "Leeds", country: "GBR" } as CustomerInput["address"],
          dateOfBirth: "1990-02-30",
          language: "english please",
        }),
      );
      const paths = error.fieldErrors.map((e) => e.path);
      expect(new Set(paths)).toEqual(new Set(["name", "email", "phone", "address.postcode", "address.country", "dateOfBirth", "language"]));
      expect(error.fieldErrors.find((e) => e.path === "phone")?.message).toMatch(/not a valid phone number for GB/);
      expect(error.fieldErrors.find((e) => e.path === "dateOfBirth")?.message).toBe("is not a real date");
      expect(error.fieldErrors.every((e) => e.message.length > 0)).toBe(true);
      expect(await counts()).toEqual(before);
      expect(await row(acmeId, "ACME-5001")).toBeUndefined();
    });

    it("leaves an existing customer untouched when the update is invalid", async () => {
      const before = await row(acmeId, "ACME-0001");
      const countsBefore = await counts();
      const error = await validationErrorOf(putCustomer(t.db, agent, acmeId, "ACME-0001", { name: "Ann Smith", email: "ann@", dateOfBirth: "2999-01-01" }));
      expect(error.fieldErrors.map((e) => e.path).sort()).toEqual(["dateOfBirth", "email"]);
      expect(await row(acmeId, "ACME-0001")).toEqual(before);
      expect(await counts()).toEqual(countsBefore);
    });

    it("refuses an invalid reference and a body that is not an object", async () => {
      const refError = await validationErrorOf(putCustomer(t.db, agent, acmeId, "bad ref!", { name: "X" }));
      expect(refError.fieldErrors.map((e) => e.path)).toEqual(["ref"]);
      const bodyError = await validationErrorOf(putCustomer(t.db, agent, acmeId, "ACME-5002", null as unknown as CustomerInput));
      expect(bodyError.fieldErrors.map((e) => e.path)).toEqual(["(body)"]);
    });

    it("refuses to bring an erased customer back under the same reference", async () => {
      const { customer } = await putCustomer(t.db, agent, acmeId, "ACME-5003", { name: "Gone Soon" });
      await t.db.update(customers).set({ status: "erased" }).where(and(eq(customers.tenantId, acmeId), eq(customers.id, customer.id)));
      const error = await validationErrorOf(putCustomer(t.db, agent, acmeId, "ACME-5003", { name: "Back Again" }));
      expect(error.fieldErrors.map((e) => e.path)).toEqual(["ref"]);
      expect(await row(acmeId, "ACME-5003")).toMatchObject({ name: "Gone Soon", status: "erased", version: 1 });
    });
  });

  describe("phone numbers", () => {
    it("reads a number without country code in the tenant's default country", async () => {
      const acme = await putCustomer(t.db, agent, acmeId, "ACME-5010", { name: "Brit Caller", phone: "020 7946 0018" });
      expect(acme.customer.phone).toBe("+442079460018");
      const globex = await putCustomer(t.db, agent, globexId, "GLX-5010", { name: "Yank Caller", phone: "(415) 555-0150" });
      expect(globex.customer.phone).toBe("+14155550150");
    });

    it("accepts an international number in any tenant", async () => {
      const acme = await putCustomer(t.db, agent, acmeId, "ACME-5011", { name: "Abroad Caller", phone: "+1 415 555 0199" });
      expect(acme.customer.phone).toBe("+14155550199");
      const globex = await putCustomer(t.db, agent, globexId, "GLX-5011", { name: "Abroad Caller", phone: "+44 7912 345678" });
      expect(globex.customer.phone).toBe("+447912345678");
    });

    it("refuses a national number of another country", async () => {
      const error = await validationErrorOf(putCustomer(t.db, agent, globexId, "GLX-5012", { name: "Wrong Country", phone: "07912 345678" }));
      expect(error.fieldErrors).toEqual([{ path: "phone", message: expect.stringMatching(/for US/) }]);
      expect(await row(globexId, "GLX-5012")).toBeUndefined();
    });
  });

  it("refuses a tenant the actor does not work for, as though it did not exist", async () => {
    const before = await counts();
    await expect(putCustomer(t.db, agentAcme, globexId, "GLX-0001", { name: "Hijack" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(findCustomerByRef(t.db, agentAcme, globexId, "GLX-0001")).rejects.toBeInstanceOf(NotFoundError);
    expect((await row(globexId, "GLX-0001"))?.name).toBe("John Miller");
    expect(await counts()).toEqual(before);
  });
});
