import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, PUT } from "@/app/api/v1/customers/[ref]/route";
import { queryRows, useConnection } from "@/db/client";
import { auditEvents, customers } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/api-keys";

const ACME_KEY = "demo-acme-api-key";
const GLOBEX_KEY = "demo-globex-api-key";
const READ_ONLY_KEY = "test-acme-read-only-key";

type Call = { key?: string | null; body?: string | object; headers?: Record<string, string> };

function request(method: "GET" | "PUT", ref: string, { key = ACME_KEY, body, headers = {} }: Call = {}) {
  const h: Record<string, string> = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (body !== undefined) h["content-type"] = "application/json";
  const req = new Request(`http://localhost/api/v1/customers/${encodeURIComponent(ref)}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const context = { params: Promise.resolve({ ref }) };
  return method === "GET" ? GET(req, context) : PUT(req, context);
}

async function read(response: Response) {
  return { status: response.status, type: response.headers.get("content-type"), body: await response.json() };
}

describe("/api/v1/customers/{ref}", () => {
  let t: TestDatabase;
  let acmeId: string;

  async function counts() {
    const [c] = await queryRows<{ customers: string | number; audits: string | number; keys: string | number }>(
      t.db,
      sql`select (select count(*) from customers) as customers, (select count(*) from audit_events) as audits,
                 (select count(*) from idempotency_keys) as keys`,
    );
    return { customers: Number(c!.customers), audits: Number(c!.audits), keys: Number(c!.keys) };
  }

  async function customerRow(ref: string) {
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, ref)));
    return row;
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    acmeId = await tenantIdByKey(t.db, "acme");
    await createApiKey(t.db, systemActor("test"), { tenantId: acmeId, name: "read only", scopes: ["customers:read"] }, READ_ONLY_KEY);
  });
  afterAll(() => t?.close());

  describe("authentication and scopes", () => {
    it("answers 401 problem+json without a key", async () => {
      const response = await request("GET", "ACME-0001", { key: null });
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const { status, type, body } = await read(response);
      expect(status).toBe(401);
      expect(type).toBe("application/problem+json");
      expect(body).toMatchObject({ status: 401, title: "Unauthorized", type: expect.any(String) });
    });

    it("answers 401 problem+json with an unknown key, for reads and writes", async () => {
      for (const method of ["GET", "PUT"] as const) {
        const { status, type, body } = await read(await request(method, "ACME-0001", { key: "no-such-key", body: method === "PUT" ? { name: "X" } : undefined }));
        expect(status, method).toBe(401);
        expect(type).toBe("application/problem+json");
        expect(body.status).toBe(401);
      }
      // A malformed Authorization header is no key either.
      const response = await GET(new Request("http://localhost/api/v1/customers/ACME-0001", { headers: { authorization: ACME_KEY } }), {
        params: Promise.resolve({ ref: "ACME-0001" }),
      });
      expect(response.status).toBe(401);
    });

    it("answers 403 to a key without customers:write, and writes nothing", async () => {
      const before = await counts();
      const { status, type, body } = await read(await request("PUT", "ACME-0001", { key: READ_ONLY_KEY, body: { name: "Changed" } }));
      expect(status).toBe(403);
      expect(type).toBe("application/problem+json");
      expect(body.detail).toMatch(/customers:write/);
      expect(await counts()).toEqual(before);
      expect((await customerRow("ACME-0001"))?.name).toBe("Ann Smith");
      // The same key may read.
      expect((await request("GET", "ACME-0001", { key: READ_ONLY_KEY })).status).toBe(200);
    });

    it("answers 401 to a revoked key", async () => {
      const { id, key } = await createApiKey(t.db, systemActor("test"), { tenantId: acmeId, name: "to revoke", scopes: ["customers:read", "customers:write"] });
      expect((await request("GET", "ACME-0001", { key })).status).toBe(200);
      await revokeApiKey(t.db, systemActor("test"), id);
      const { status, type } = await read(await request("GET", "ACME-0001", { key }));
      expect(status).toBe(401);
      expect(type).toBe("application/problem+json");
      expect((await request("PUT", "ACME-0001", { key, body: { name: "Revoked Write" } })).status).toBe(401);
    });
  });

  describe("GET", () => {
    it("answers the tenant's own customer in the shape of API.md", async () => {
      const row = await customerRow("ACME-0001");
      const { status, type, body } = await read(await request("GET", "ACME-0001"));
      expect(status).toBe(200);
      expect(type).toBe("application/json");
      expect(body).toEqual({
        ref: "ACME-0001",
        id: row!.id,
        name: "Ann Smith",
        email: "ann.smith@example.com",
        phone: "+447911123456",
        address: { line1: "12 Mill Lane", line2: null, city: "Leeds", region: null, postcode: "LS1 4AB", country: "GB" },
        dateOfBirth: "1984-03-12",
        language: "en-GB",
        status: "active",
        version: 1,
      });
    });

    it("answers 404 for another tenant's ref, exactly as for a ref that does not exist", async () => {
      const other = await read(await request("GET", "GLX-0001"));
      const none = await read(await request("GET", "ACME-9999"));
      expect(other.status).toBe(404);
      expect(other.type).toBe("application/problem+json");
      expect(other.body).toEqual({ ...none.body, detail: none.body.detail.replace("ACME-9999", "GLX-0001") });
      expect(JSON.stringify(other.body)).not.toContain("John");
      // globex's own key does see it.
      expect((await read(await request("GET", "GLX-0001", { key: GLOBEX_KEY }))).body.name).toBe("John Miller");
    });

    it("answers an erased customer with every personal field null", async () => {
      await t.db.update(customers).set({ status: "erased" }).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0012")));
      const { status, body } = await read(await request("GET", "ACME-0012"));
      expect(status).toBe(200);
      expect(body).toMatchObject({ ref: "ACME-0012", status: "erased", name: null, email: null, phone: null, address: null, dateOfBirth: null, language: null });
    });
  });

  describe("PUT", () => {
    it("creates (201) then updates (200), answering { ref, id, version }", async () => {
      const body = { name: "Grace Hopper", email: "grace@example.com", phone: "07912 345678" };
      const created = await read(await request("PUT", "ACME-7000", { body }));
      expect(created.status).toBe(201);
      expect(created.type).toBe("application/json");
      const row = await customerRow("ACME-7000");
      expect(created.body).toEqual({ ref: "ACME-7000", id: row!.id, version: 1 });
      expect(row).toMatchObject({ phone: "+447912345678", email: "grace@example.com" });

      const updated = await read(await request("PUT", "ACME-7000", { body: { ...body, name: "Grace Brewster Hopper" } }));
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ ref: "ACME-7000", id: row!.id, version: 2 });
      expect((await read(await request("GET", "ACME-7000"))).body).toMatchObject({ name: "Grace Brewster Hopper", version: 2 });

      const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, row!.id));
      expect(events.map((e) => e.action).sort()).toEqual(["customer.created", "customer.updated"]);
      expect(events.every((e) => e.actorType === "api_key" && e.tenantId === acmeId)).toBe(true);
    });

    it("cannot create or touch a customer in another tenant: the ref lands in the key's own tenant", async () => {
      const globexId = await tenantIdByKey(t.db, "globex");
      const [johnBefore] = await t.db.select().from(customers).where(and(eq(customers.tenantId, globexId), eq(customers.ref, "GLX-0001")));
      const { status } = await read(await request("PUT", "GLX-0001", { body: { name: "Not John" } }));
      expect(status).toBe(201);
      const [johnAfter] = await t.db.select().from(customers).where(and(eq(customers.tenantId, globexId), eq(customers.ref, "GLX-0001")));
      expect(johnAfter).toEqual(johnBefore);
      expect((await customerRow("GLX-0001"))?.name).toBe("Not John");
    });

    it("answers 400 problem+json naming every invalid field, and writes nothing", async () => {
      const before = await counts();
      const { status, type, body } = await read(
        await request("PUT", "ACME-7001", {
          body: {
            name: "",
            email: "grace@",
            phone: "not a phone",
            address: { line1: "1 Lane", city: "Leeds", country: "GB" },
            dateOfBirth: "1990-13-01",
            language: "??",
          },
        }),
      );
      expect(status).toBe(400);
      expect(type).toBe("application/problem+json");
      expect(body).toMatchObject({ status: 400, title: expect.any(String), type: expect.any(String) });
      const paths = (body.errors as { path: string; message: string }[]).map((e) => e.path);
      expect(new Set(paths)).toEqual(new Set(["name", "email", "phone", "address.postcode", "dateOfBirth", "language"]));
      expect((body.errors as { message: string }[]).every((e) => typeof e.message === "string" && e.message.length > 0)).toBe(true);
      expect(await counts()).toEqual(before);
      expect(await customerRow("ACME-7001")).toBeUndefined();
    });

    it("answers 400 to a body that is not JSON, or not an object", async () => {
      for (const body of ["{ name: ", "", "[1,2]", "null", '"Ann"']) {
        const { status, type, body: answer } = await read(await request("PUT", "ACME-7002", { body }));
        expect(status, body).toBe(400);
        expect(type).toBe("application/problem+json");
        expect(answer.errors?.[0]?.path).toBe("(body)");
      }
      expect(await customerRow("ACME-7002")).toBeUndefined();
    });
  });

  describe("Idempotency-Key", () => {
    it("replays the first answer for the same key and body, and writes nothing new", async () => {
      const body = JSON.stringify({ name: "Katherine Johnson", email: "kj@example.com" });
      const first = await request("PUT", "ACME-7100", { body, headers: { "idempotency-key": "create-kj-1" } });
      const firstAnswer = await read(first);
      expect(firstAnswer.status).toBe(201);
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      const afterFirst = await counts();
      const rowAfterFirst = await customerRow("ACME-7100");

      const retry = await request("PUT", "ACME-7100", { body, headers: { "idempotency-key": "create-kj-1" } });
      const retryAnswer = await read(retry);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retryAnswer).toEqual(firstAnswer);
      expect(retryAnswer.body).toEqual({ ref: "ACME-7100", id: rowAfterFirst!.id, version: 1 });
      expect(await counts()).toEqual(afterFirst);
      expect(await customerRow("ACME-7100")).toEqual(rowAfterFirst);
      const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, rowAfterFirst!.id));
      expect(events).toHaveLength(1);
    });

    it("replays an update's answer even after the customer has changed since", async () => {
      const key = { "idempotency-key": "update-kj-1" };
      const body = { name: "Katherine G. Johnson", email: "kj@example.com" };
      const first = await read(await request("PUT", "ACME-7100", { body, headers: key }));
      expect(first).toMatchObject({ status: 200, body: { version: 2 } });
      // Someone else changes it; the retry of the first request must not undo that.
      expect((await request("PUT", "ACME-7100", { body: { name: "Katherine Coleman Johnson" } })).status).toBe(200);
      const before = await counts();
      const retry = await request("PUT", "ACME-7100", { body, headers: key });
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await read(retry)).toEqual(first);
      expect(await counts()).toEqual(before);
      expect(await customerRow("ACME-7100")).toMatchObject({ name: "Katherine Coleman Johnson", version: 3 });
    });

    it("answers 409 for the same key with a different body, and writes nothing", async () => {
      const key = { "idempotency-key": "create-kj-1" };
      const before = await counts();
      const { status, type } = await read(await request("PUT", "ACME-7100", { body: { name: "Someone Else" }, headers: key }));
      expect(status).toBe(409);
      expect(type).toBe("application/problem+json");
      // Same body to another ref is a different request as well.
      expect((await request("PUT", "ACME-7101", { body: { name: "Katherine Johnson", email: "kj@example.com" }, headers: key })).status).toBe(409);
      expect(await counts()).toEqual(before);
      expect(await customerRow("ACME-7101")).toBeUndefined();
    });

    it("keeps keys per tenant: another tenant may use the same key", async () => {
      const { status } = await read(
        await request("PUT", "GLX-7100", { key: GLOBEX_KEY, body: { name: "Dorothy Vaughan" }, headers: { "idempotency-key": "create-kj-1" } }),
      );
      expect(status).toBe(201);
    });

    it("releases the key when the write fails, so a corrected retry goes through", async () => {
      const key = { "idempotency-key": "create-bad-1" };
      const bad = { name: "Mary Jackson", email: "bad" };
      expect((await request("PUT", "ACME-7200", { body: bad, headers: key })).status).toBe(400);
      expect((await request("PUT", "ACME-7200", { body: bad, headers: key })).status).toBe(400);
      expect(await customerRow("ACME-7200")).toBeUndefined();
      const good = await request("PUT", "ACME-7200", { body: { name: "Mary Jackson" }, headers: { "idempotency-key": "create-good-1" } });
      expect(good.status).toBe(201);
    });

    it("refuses a malformed key", async () => {
      const { status, body } = await read(await request("PUT", "ACME-7300", { body: { name: "X Y" }, headers: { "idempotency-key": "x".repeat(256) } }));
      expect(status).toBe(400);
      expect(body.errors[0].path).toBe("Idempotency-Key");
    });
  });
});
