import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { connect, queryRows, type Connection } from "@/db/client";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { env } from "@/lib/env";
import { dropIdleBuckets, peek, perWindow, take, takeOrRefuse, RateLimitedError } from "./limiter";

describe("rate limits (token buckets in the database)", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(() => t.close());

  const t0 = new Date("2030-01-01T09:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it("allow a burst, then refuse with the seconds until a token is back", async () => {
    const limit = { perSecond: 1, burst: 3 };
    for (let i = 0; i < 3; i++) expect((await take(t.db, "burst", limit, 1, t0)).allowed).toBe(true);
    expect(await take(t.db, "burst", limit, 1, t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // A refusal takes nothing: after one second exactly one token is there.
    expect((await take(t.db, "burst", limit, 1, at(1000))).allowed).toBe(true);
    expect((await take(t.db, "burst", limit, 1, at(1000))).allowed).toBe(false);
  });

  it("refill for the time passed, never above the burst", async () => {
    const limit = { perSecond: 2, burst: 4 };
    for (let i = 0; i < 4; i++) await take(t.db, "refill", limit, 1, t0);
    expect((await peek(t.db, "refill", limit, 1, t0)).allowed).toBe(false);
    expect((await peek(t.db, "refill", limit, 2, at(1000))).allowed).toBe(true);
    // An hour later the bucket holds the burst and no more.
    expect((await take(t.db, "refill", limit, 4, at(3_600_000))).allowed).toBe(true);
    expect((await take(t.db, "refill", limit, 1, at(3_600_000))).allowed).toBe(false);
  });

  it("charge a cost, and take a cost above the burst as the whole burst", async () => {
    const limit = { perSecond: 100, burst: 200 };
    expect((await take(t.db, "cost", limit, 150, t0)).allowed).toBe(true);
    expect(await take(t.db, "cost", limit, 100, t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect((await take(t.db, "cost-big", limit, 10_000, t0)).allowed).toBe(true);
    expect(await take(t.db, "cost-big", limit, 10_000, t0)).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it("keep buckets apart and state windows as refill rates", async () => {
    const limit = perWindow(20, 15 * 60 * 1000);
    for (let i = 0; i < 20; i++) await take(t.db, "signin-ip:203.0.113.1", limit, 1, t0);
    const refused = await take(t.db, "signin-ip:203.0.113.1", limit, 1, t0);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect((await take(t.db, "signin-ip:203.0.113.2", limit, 1, t0)).allowed).toBe(true);
    await expect(takeOrRefuse(t.db, "signin-ip:203.0.113.1", limit, 1, t0)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("drop buckets idle for a day", async () => {
    await take(t.db, "idle", { perSecond: 1, burst: 1 }, 1, t0);
    await take(t.db, "busy", { perSecond: 1, burst: 1 }, 1, at(23 * 3_600_000));
    expect(await dropIdleBuckets(t.db, at(24 * 3_600_000 + 1), 2)).toBe(2); // a batch at a time
    await dropIdleBuckets(t.db, at(24 * 3_600_000 + 1));
    expect((await peek(t.db, "busy", { perSecond: 1, burst: 1 }, 1, at(23 * 3_600_000))).allowed).toBe(false);
    expect((await peek(t.db, "idle", { perSecond: 0.0001, burst: 1 }, 1, t0)).allowed).toBe(true);
  });

  it.runIf(env.DATABASE_URL)("never let two replicas spend the same token", async () => {
    const replicas: Connection[] = [];
    try {
      const url = await dbUrl(t);
      for (let i = 0; i < 4; i++) replicas.push(await connect(url));
      const limit = { perSecond: 0.001, burst: 25 };
      const decisions = await Promise.all(
        Array.from({ length: 100 }, (_, i) => take(replicas[i % replicas.length]!.db, "shared", limit, 1, t0)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});

/** The URL of the test's own database on the server, for more connections to it. */
async function dbUrl(t: TestDatabase): Promise<string> {
  const [row] = await queryRows<{ name: string }>(t.db, sql`select current_database() as name`);
  const url = new URL(env.DATABASE_URL!);
  url.pathname = `/${row!.name}`;
  return url.toString();
}
