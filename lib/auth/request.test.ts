import { describe, expect, it } from "vitest";
import { clientAddress } from "./request";

describe("the client's address", () => {
  it("is the socket's peer (the rightmost entry) when no proxy is trusted", () => {
    // A client that writes its own X-Forwarded-For: the server appended the real peer after it.
    expect(clientAddress("1.2.3.4, 198.51.100.7", 0)).toBe("198.51.100.7");
    expect(clientAddress("198.51.100.7", 0)).toBe("198.51.100.7");
  });

  it("steps one entry left per trusted proxy, never further", () => {
    // client forged 1.2.3.4; the proxy appended the client it saw; the server appended the proxy.
    const chain = "1.2.3.4, 203.0.113.9, 10.0.0.2";
    expect(clientAddress(chain, 1)).toBe("203.0.113.9");
    expect(clientAddress("1.2.3.4, 203.0.113.9, 10.0.0.5, 10.0.0.2", 2)).toBe("203.0.113.9");
  });

  it("takes the leftmost when the chain is shorter than the proxies configured", () => {
    expect(clientAddress("203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientAddress("203.0.113.9, 10.0.0.2", 5)).toBe("203.0.113.9");
  });

  it("is unknown when there is no header, or the entry is not an address", () => {
    expect(clientAddress(null, 0)).toBeNull();
    expect(clientAddress("", 0)).toBeNull();
    expect(clientAddress(" , ", 0)).toBeNull();
    expect(clientAddress("1.2.3.4, unknown", 0)).toBeNull();
    expect(clientAddress("<script>, 10.0.0.2", 1)).toBeNull();
    expect(clientAddress("x".repeat(10_000), 0)).toBeNull();
  });

  it("reads IPv6 and spells IPv4 peers of a dual-stack socket as IPv4", () => {
    expect(clientAddress("2001:db8::1", 0)).toBe("2001:db8::1");
    expect(clientAddress("1.2.3.4, ::ffff:127.0.0.1", 0)).toBe("127.0.0.1");
    expect(clientAddress("::1", 0)).toBe("::1");
  });
});
