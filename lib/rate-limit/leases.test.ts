import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { connect, queryRows, type Connection } from "@/db/client";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { env } from "@/lib/env";
import { LEASE_MS, spendLeased } from "./leases";

describe("rate-limit tokens leased to a process", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(() => t.close());

  const t0 = new Date("2030-01-01T09:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const limit = { perSecond: 100, burst: 200 };
  /** What the shared bucket holds, as written (not refilled since). */
  const inBucket = async (bucket: string) =>
    Number(
      (
        await queryRows<{ tokens: number }>(t.db, sql`select tokens from rate_limit_buckets where bucket = ${bucket}`)
      )[0]?.tokens,
    );

  it("take a tenth of a second of the rate at once and spend it without going back to the database", async () => {
    expect(await spendLeased(t.db, "chunk", limit, 1, t0)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(await inBucket("chunk")).toBe(190);
    for (let i = 0; i < 9; i++) expect((await spendLeased(t.db, "chunk", limit, 1, t0)).allowed).toBe(true);
    expect(await inBucket("chunk")).toBe(190);
    await spendLeased(t.db, "chunk", limit, 1, t0);
    expect(await inBucket("chunk")).toBe(180);
    // A cost above the chunk takes what it needs (the 9 held first), and a cost above the burst the burst.
    await spendLeased(t.db, "chunk", limit, 50, t0);
    expect(await inBucket("chunk")).toBe(139);
  });

  it("let what is held lapse after a second: the bucket, not the process, decides again", async () => {
    await spendLeased(t.db, "lapse", limit, 1, t0); // takes 10, holds 9
    await spendLeased(t.db, "lapse", limit, 1, at(LEASE_MS)); // the 9 held lapsed: takes 10 more
    expect(await inBucket("lapse")).toBe(190); // refilled to the burst, less the second chunk
  });

  it("refuse with the seconds until the tokens are there, and never spend more than the bucket gave", async () => {
    const small = { perSecond: 1, burst: 5 };
    const spent = [];
    for (let i = 0; i < 8; i++) spent.push((await spendLeased(t.db, "small", small, 1, t0)).allowed);
    expect(spent).toEqual([true, true, true, true, true, false, false, false]);
    expect(await spendLeased(t.db, "small", small, 3, t0)).toEqual({ allowed: false, retryAfterSeconds: 3 });
    expect((await spendLeased(t.db, "small", small, 1, at(1000))).allowed).toBe(true);
    expect((await spendLeased(t.db, "small", small, 1, at(1000))).allowed).toBe(false);
    // Many requests at once in one process: one goes to the database at a time, the others share its chunk.
    const burst = await Promise.all(
      Array.from({ length: 50 }, () => spendLeased(t.db, "crowd", { perSecond: 100, burst: 25 }, 1, t0)),
    );
    expect(burst.filter((d) => d.allowed)).toHaveLength(25);
  });

  it.runIf(env.DATABASE_URL)("never let replicas together spend more than the bucket holds", async () => {
    const replicas: Connection[] = [];
    try {
      const [row] = await queryRows<{ name: string }>(t.db, sql`select current_database() as name`);
      const url = new URL(env.DATABASE_URL!);
      url.pathname = `/${row!.name}`;
      for (let i = 0; i < 4; i++) replicas.push(await connect(url.toString()));
      const decisions = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          spendLeased(replicas[i % replicas.length]!.db, "shared", { perSecond: 100, burst: 55 }, 1, t0),
        ),
      );
      // Each replica leases chunks of 10; with more requests than tokens every leased token is spent.
      expect(decisions.filter((d) => d.allowed)).toHaveLength(55);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});
