import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCustomers } from "@/db/demo-data";
import { customers } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { NotFoundError } from "@/lib/errors";
import { getCustomer, putCustomer } from "./customers";
import { searchCustomers } from "./search";

const refs = (hits: { ref: string }[]) => hits.map((h) => h.ref).sort();

describe("searchCustomers", () => {
  let t: TestDatabase;
  let agent: StaffActor; // acme and globex
  let agentAcme: StaffActor; // acme only
  let acmeId: string;
  let globexId: string;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
    globexId = await tenantIdByKey(t.db, "globex");
    // Names holding LIKE wildcards, to show they are matched literally.
    const seeder = systemActor("test");
    await putCustomer(t.db, seeder, acmeId, "ACME-0100", { name: "Fifty% Discount" });
    await putCustomer(t.db, seeder, acmeId, "ACME_0101", { name: "Under_Score Ltd" });
    // An account number of digits only, which also looks like a phone number.
    await putCustomer(t.db, seeder, globexId, "10002345", { name: "Digits Only" });
  });
  afterAll(() => t?.close());

  describe("by account reference", () => {
    it("finds the exact reference, in any case", async () => {
      expect(refs(await searchCustomers(t.db, agent, "ACME-0001"))).toEqual(["ACME-0001"]);
      expect(refs(await searchCustomers(t.db, agent, "acme-0001"))).toEqual(["ACME-0001"]);
      expect(refs(await searchCustomers(t.db, agent, "  glx-0003 "))).toEqual(["GLX-0003"]);
    });

    it("finds every reference starting with a leading part, in any case", async () => {
      expect(refs(await searchCustomers(t.db, agent, "acme-000"))).toEqual(
        ["ACME-0001", "ACME-0002", "ACME-0003", "ACME-0004", "ACME-0005", "ACME-0006", "ACME-0007", "ACME-0008", "ACME-0009"],
      );
      expect(refs(await searchCustomers(t.db, agent, "Glx-001"))).toEqual(["GLX-0010"]);
    });

    it("finds a reference made of digits only, though it looks like a phone number", async () => {
      expect(refs(await searchCustomers(t.db, agent, "10002345"))).toEqual(["10002345"]);
      expect(refs(await searchCustomers(t.db, agent, "100023"))).toEqual(["10002345"]);
      expect(await searchCustomers(t.db, agentAcme, "10002345")).toEqual([]);
    });

    it("does not match a reference in the middle", async () => {
      expect(await searchCustomers(t.db, agent, "CME-0001")).toEqual([]);
    });
  });

  describe("by name", () => {
    it("finds a partial name ignoring case and accents", async () => {
      for (const query of ["bronte", "Brontë", "BRONTE", "ZOE", "zoë", "ront", "oë bron"]) {
        const hits = await searchCustomers(t.db, agent, query);
        expect(hits.map((h) => h.name), query).toEqual(["Zoë Brontë"]);
      }
    });

    it("needs every word to match, in any order", async () => {
      expect(refs(await searchCustomers(t.db, agent, "smith ann"))).toHaveLength(2);
      expect(await searchCustomers(t.db, agent, "ann jones")).toEqual([]);
    });

    it("finds names with apostrophes and accents typed without them", async () => {
      expect((await searchCustomers(t.db, agent, "siobhan o'brien")).map((h) => h.ref)).toEqual(["ACME-0003"]);
      expect((await searchCustomers(t.db, agent, "nguyen van")).map((h) => h.ref)).toEqual(["GLX-0004"]);
      expect((await searchCustomers(t.db, agent, "helene")).map((h) => h.ref)).toEqual(["ACME-0007"]);
    });
  });

  describe("by email", () => {
    it("finds the customer by the whole address, in any case", async () => {
      for (const query of ["ann.smith@example.com", "Ann.Smith@Example.COM", " ANN.SMITH@EXAMPLE.COM "]) {
        expect(refs(await searchCustomers(t.db, agent, query)), query).toEqual(["ACME-0001"]);
      }
      // The other Ann Smith's address is on another domain.
      expect(refs(await searchCustomers(t.db, agent, "ann.smith@example.org"))).toEqual(["GLX-0003"]);
    });
  });

  describe("by phone", () => {
    it("finds acme's ACME-0001 by its number in every common format", async () => {
      for (const query of ["07911 123456", "+44 7911 123456", "+447911123456", "(0)7911-123456", "07911123456", "+44 (0)7911 123456"]) {
        expect(refs(await searchCustomers(t.db, agent, query)), query).toEqual(["ACME-0001"]);
        expect(refs(await searchCustomers(t.db, agentAcme, query)), query).toEqual(["ACME-0001"]);
      }
    });

    it("finds globex's GLX-0001 by its number in every common format", async () => {
      for (const query of ["(415) 555-0134", "+1 415 555 0134", "415-555-0134", "+14155550134", "4155550134"]) {
        expect(refs(await searchCustomers(t.db, agent, query)), query).toEqual(["GLX-0001"]);
      }
    });

    it("reads a national number in each tenant's own country", async () => {
      // A British national number means nothing in the US, and an acme-only agent cannot reach globex.
      expect(await searchCustomers(t.db, agentAcme, "(415) 555-0134")).toEqual([]);
      expect(await searchCustomers(t.db, agent, "07911 123457")).toEqual([]);
    });
  });

  it("masks personal data in every hit", async () => {
    const [hit] = await searchCustomers(t.db, agent, "07911 123456");
    expect(hit).toMatchObject({
      ref: "ACME-0001",
      name: "Ann Smith",
      status: "active",
      tenant: { key: "acme", name: "Acme Energy" },
      email: "a•••@e•••.com",
      phone: "•••• •••456",
      town: "Leeds",
    });
    const all = [
      ...(await searchCustomers(t.db, agent, "acme-", 100)),
      ...(await searchCustomers(t.db, agent, "glx-", 100)),
    ];
    expect(all.length).toBe(demoCustomers.length + 1); // ACME_0101 does not start with "acme-"
    // Without the random ids, which could contain any digits.
    const json = JSON.stringify(all.map(({ id: _id, ...hit }) => hit));
    for (const c of demoCustomers) {
      if (c.email) expect(json).not.toContain(c.email);
      if (c.address) expect(json).not.toContain(c.address.postcode);
    }
    expect(json).not.toMatch(/\+\d{6,}/);
    expect(json).not.toContain("7911");
  });

  describe("tenant isolation", () => {
    it("gives an agent of both tenants both Ann Smiths, and an acme-only agent only acme's", async () => {
      const both = await searchCustomers(t.db, agent, "Ann Smith");
      expect(both.map((h) => `${h.tenant.key}:${h.ref}`).sort()).toEqual(["acme:ACME-0001", "globex:GLX-0003"]);
      const acmeOnly = await searchCustomers(t.db, agentAcme, "Ann Smith");
      expect(acmeOnly.map((h) => `${h.tenant.key}:${h.ref}`)).toEqual(["acme:ACME-0001"]);
    });

    it("never gives an acme-only agent a globex customer, whatever the query", async () => {
      const queries = ["glx", "GLX-0001", "john", "ann.smith@example.org", "(206) 555-0112", "+1 206 555 0112", "a", "e"];
      for (const query of queries) {
        const hits = await searchCustomers(t.db, agentAcme, query, 100);
        expect(hits.filter((h) => h.tenant.key !== "acme"), query).toEqual([]);
      }
      // The same queries do reach globex for an agent of both tenants, so the filter above is not vacuous.
      expect((await searchCustomers(t.db, agent, "GLX-0001")).map((h) => h.tenant.key)).toEqual(["globex"]);
      expect((await searchCustomers(t.db, agent, "+1 206 555 0112")).map((h) => h.ref)).toEqual(["GLX-0003"]);
    });

    it("finds nothing for a staff member with no tenant", async () => {
      const nobody: StaffActor = { ...agent, tenantIds: [] };
      expect(await searchCustomers(t.db, nobody, "Ann Smith")).toEqual([]);
    });

    it("refuses getCustomer of a globex customer to an acme-only agent, as though it did not exist", async () => {
      const [glx] = await t.db.select().from(customers).where(and(eq(customers.tenantId, globexId), eq(customers.ref, "GLX-0001")));
      await expect(getCustomer(t.db, agentAcme, glx!.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(getCustomer(t.db, agentAcme, "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
      // The agent of both tenants does get it.
      expect((await getCustomer(t.db, agent, glx!.id)).ref).toBe("GLX-0001");
    });
  });

  describe("LIKE wildcards in the query", () => {
    it("treats % literally", async () => {
      // Unescaped, "%" would match every reference and every name.
      expect(await searchCustomers(t.db, agent, "%", 100)).toEqual([]);
      expect(await searchCustomers(t.db, agent, "%smith")).toEqual([]);
      expect(await searchCustomers(t.db, agent, "a%h")).toEqual([]);
      // Literally, a name holding a "%" is found by it.
      expect((await searchCustomers(t.db, agent, "fifty%")).map((h) => h.ref)).toEqual(["ACME-0100"]);
      expect((await searchCustomers(t.db, agent, "ty% disc")).map((h) => h.ref)).toEqual(["ACME-0100"]);
    });

    it("treats _ literally", async () => {
      // Unescaped, "_" would match every reference; "smi_h" would match both Ann Smiths.
      expect(await searchCustomers(t.db, agent, "_", 100)).toEqual([]);
      expect(await searchCustomers(t.db, agent, "smi_h")).toEqual([]);
      // Literally, the name and the reference holding a "_" are found by it.
      expect((await searchCustomers(t.db, agent, "der_sc")).map((h) => h.ref)).toEqual(["ACME_0101"]);
      expect(await searchCustomers(t.db, agent, "A_n Smith")).toEqual([]);
      expect(await searchCustomers(t.db, agent, "ACME-000_")).toEqual([]);
      expect(refs(await searchCustomers(t.db, agent, "acme_"))).toEqual(["ACME_0101"]);
    });

    it("treats a backslash literally", async () => {
      expect(await searchCustomers(t.db, agent, "\\")).toEqual([]);
      expect(await searchCustomers(t.db, agent, "ann\\")).toEqual([]);
    });
  });

  it("answers nothing for an empty query", async () => {
    expect(await searchCustomers(t.db, agent, "   ")).toEqual([]);
  });
});
