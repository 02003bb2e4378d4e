import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, newNonce, securityHeaders, servedOverHttps } from "./headers";

const directives = (policy: string) => new Map(policy.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));

describe("a page's Content-Security-Policy", () => {
  it("runs only scripts bearing the request's nonce, never inline ones or eval, and is never framed", () => {
    const policy = directives(contentSecurityPolicy({ nonce: "abc123==", development: false, https: false }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(policy.get("style-src")).toEqual(["'self'", "'nonce-abc123=='"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect([...policy.values()].flat()).not.toContain("'unsafe-inline'");
    expect([...policy.values()].flat()).not.toContain("'unsafe-eval'");
    expect(policy.has("upgrade-insecure-requests")).toBe(false);
  });

  it("allows eval for scripts and plain style tags only in development", () => {
    const policy = directives(contentSecurityPolicy({ nonce: "n", development: true, https: false }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-n'", "'strict-dynamic'", "'unsafe-eval'"]);
    expect(policy.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("upgrades insecure requests when served over https", () => {
    expect(contentSecurityPolicy({ nonce: "n", development: false, https: true })).toContain(
      "upgrade-insecure-requests",
    );
  });

  it("allows nothing for an answer that is not a page", () => {
    const policy = directives(contentSecurityPolicy({ nonce: null, development: false, https: false }));
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
  });
});

describe("the security headers", () => {
  it("are set on every answer, HSTS only over https", () => {
    const plain = securityHeaders({ nonce: null, development: false, https: false });
    expect(plain).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "X-Frame-Options": "DENY",
    });
    for (const feature of ["camera", "microphone", "geolocation", "payment"]) {
      expect(plain["Permissions-Policy"]).toContain(`${feature}=()`);
    }
    expect(plain).not.toHaveProperty("Strict-Transport-Security");
    const secure = securityHeaders({ nonce: null, development: false, https: true });
    expect(secure["Strict-Transport-Security"]).toBe("max-age=63072000; includeSubDomains");
  });

  it("use a fresh, unguessable nonce for each page", () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});

describe("whether the app is served over https", () => {
  it("is what APP_URL says when it says https", () => {
    expect(servedOverHttps("https://attest.example.com", null, 0)).toBe(true);
    expect(servedOverHttps("http://localhost:3000", null, 0)).toBe(false);
  });

  it("believes X-Forwarded-Proto only from a trusted proxy, the nearest one's word", () => {
    expect(servedOverHttps("http://localhost:3000", "https", 0)).toBe(false);
    expect(servedOverHttps("http://localhost:3000", "https", 1)).toBe(true);
    expect(servedOverHttps("http://localhost:3000", "HTTPS", 1)).toBe(true);
    expect(servedOverHttps("http://localhost:3000", "https, http", 1)).toBe(false);
    expect(servedOverHttps("http://localhost:3000", "http", 1)).toBe(false);
    expect(servedOverHttps("http://localhost:3000", null, 1)).toBe(false);
  });
});
