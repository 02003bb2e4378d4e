import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "./client";
import { testDatabase, type TestDatabase } from "./testing/test-database";

describe("migrations", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(() => t.close());

  it("apply on an empty database and create every table of the foundation", async () => {
    const rows = await queryRows<{ table_name: string }>(
      t.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["api_keys", "audit_events", "customers", "idempotency_keys", "interactions", "staff_sessions", "staff_tenants", "staff_users", "tenants"]),
    );
  });
});
