import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { describeError } from "./errors";

describe("describeError", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(() => t.close());

  it("keeps a failed query's parameters (personal data) out of what is logged", async () => {
    const failure = await t.db.execute(sql`select ${"ann.smith@example.com"}::int`).catch((e: unknown) => e);
    expect(String(failure)).toContain("ann.smith@example.com"); // the driver's wrapper repeats the parameter
    const logged = describeError(failure);
    expect(logged).not.toContain("ann.smith@example.com");
    expect(logged).toMatch(/^database error 22P02/); // invalid_text_representation
  });

  it("blanks out given sensitive text and stays short", () => {
    const logged = describeError(new Error(`relay refused: 123456 is your code ${"x".repeat(1000)}`), { redact: "123456 is your code", maxLength: 80 });
    expect(logged).toBe(`relay refused: [message body] ${"x".repeat(80 - "relay refused: [message body] ".length)}`);
  });
});
