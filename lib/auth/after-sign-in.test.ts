import { describe, expect, it } from "vitest";
import { afterSignInPath } from "./after-sign-in";

const origin = "https://attest.example.com";

describe("afterSignInPath", () => {
  it.each([
    ["/customers/123", "/customers/123"],
    ["/privacy-requests?status=open#due", "/privacy-requests?status=open#due"],
    ["https://attest.example.com/alerts", "/alerts"],
    ["admin/staff", "/admin/staff"],
    // Same scheme, no slashes: a browser reads it as a path on this site.
    ["https:evil.com", "/evil.com"],
  ])("keeps a path on the site: %s", (next, path) => {
    expect(afterSignInPath(next, origin)).toBe(path);
  });

  it.each([
    "/\\evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "\\/evil.com",
    "\\\\evil.com",
    "//evil.com",
    "///evil.com",
    "https://evil.com",
    "http://attest.example.com/desk", // another origin: the scheme differs
    "/%5Cevil.com",
    "/%2F%2Fevil.com",
    "/%5C%5Cevil.com",
    "/.//evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.com",
    "/signin",
    "/signin/second-factor",
    "",
  ])("refuses what leaves the site or loops: %j", (next) => {
    expect(afterSignInPath(next, origin)).toBe("/desk");
  });

  it("refuses what is not a string, or too long", () => {
    expect(afterSignInPath(null, origin)).toBe("/desk");
    expect(afterSignInPath(["/alerts"], origin)).toBe("/desk");
    expect(afterSignInPath(`/${"a".repeat(3000)}`, origin)).toBe("/desk");
  });

  it("never returns anything a browser would read as another host", () => {
    const hostile = ["/\\evil.com", "/\t\\evil.com", "/%09/evil.com", "//%65vil.com", "/\\/evil.com", "\t//evil.com"];
    for (const next of hostile) {
      const path = afterSignInPath(next, origin);
      expect(new URL(path, origin).origin).toBe(origin);
      expect(path).toMatch(/^\/(?![/\\])/);
    }
  });
});
