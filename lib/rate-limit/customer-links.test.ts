import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as downloadFile } from "@/app/privacy/download/[token]/file/route";
import { useConnection } from "@/db/client";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { confirmationRequest } from "@/lib/consent/confirmation";
import { LinkError } from "@/lib/consent/links";
import { customerLinkRefusal, withinCustomerLinkLimits } from "./customer-links";
import { RateLimitedError } from "./limiter";

describe("customer-link limits per client address", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
    useConnection(t.connection);
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => t.close());

  const t0 = new Date("2030-01-01T09:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const page = async () => "the page";
  const forged = "AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

  it("show a link's page 30 times in 10 minutes from one address, then say how long to wait", async () => {
    for (let i = 0; i < 30; i++) expect(await withinCustomerLinkLimits(t.db, "203.0.113.1", page, t0)).toBe("the page");
    const refused = await withinCustomerLinkLimits(t.db, "203.0.113.1", page, t0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(20); // one view back every 20 seconds
    expect(customerLinkRefusal(refused as RateLimitedError)).toMatch(
      /too many times from your network.*try again in 1 minute\./,
    );
    // Another address is not slowed; this one gets a view back as time passes.
    expect(await withinCustomerLinkLimits(t.db, "203.0.113.2", page, t0)).toBe("the page");
    expect(await withinCustomerLinkLimits(t.db, "203.0.113.1", page, at(20_000))).toBe("the page");
  });

  it("after 10 links that could not be used, refuse even a good one without reading it", async () => {
    const ip = "198.51.100.7";
    for (let i = 0; i < 10; i++) {
      await expect(
        withinCustomerLinkLimits(t.db, ip, () => confirmationRequest(t.db, `${forged}${i}`), at(i)),
      ).rejects.toBeInstanceOf(LinkError);
    }
    const opened = vi.fn(page);
    await expect(withinCustomerLinkLimits(t.db, ip, opened, at(10))).rejects.toBeInstanceOf(RateLimitedError);
    expect(opened).not.toHaveBeenCalled();
    // A failure comes back a minute later; working links never count as failures.
    expect(await withinCustomerLinkLimits(t.db, ip, opened, at(60_010))).toBe("the page");
    for (let i = 0; i < 5; i++) await withinCustomerLinkLimits(t.db, ip, page, at(60_020));
    await expect(
      withinCustomerLinkLimits(t.db, ip, () => confirmationRequest(t.db, forged), at(60_030)),
    ).rejects.toBeInstanceOf(LinkError);
    await expect(withinCustomerLinkLimits(t.db, ip, page, at(60_040))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("answer the package download 429 with Retry-After once an address has tried 10 unknown tokens", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(at(3_600_000));
    const fetch = (token: string) =>
      downloadFile(
        new Request(`http://localhost/privacy/download/${token}/file`, {
          headers: { "x-forwarded-for": "192.0.2.44" },
        }),
        {
          params: Promise.resolve({ token }),
        },
      );
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${"A".repeat(42)}${i}`);
      expect(response.status).toBe(303); // back to the page, which says the link is unknown
    }
    const refused = await fetch("A".repeat(43));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.text()).toMatch(/Please try again in 1 minute\./);
  });
});
