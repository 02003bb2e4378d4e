import { isIP } from "node:net";
import { headers } from "next/headers";
import { env } from "@/lib/env";

/**
 * The client's address from X-Forwarded-For, counting `trustedProxies` hops from the right. The app's
 * own server (scripts/serve.mjs) appends the socket's peer to the header, as every proxy does, so the
 * rightmost entry is the peer and each trusted proxy in front added the one before it. Entries further
 * left were written by whoever connected first, so they are never believed. A request with fewer
 * entries than hops (one that reached us past the proxies) gives the leftmost, as far as the chain goes.
 */
export function clientAddress(forwardedFor: string | null, trustedProxies: number): string | null {
  const hops = (forwardedFor ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  if (hops.length === 0) return null;
  const address = hops[Math.max(0, hops.length - 1 - trustedProxies)]!;
  if (!isIP(address)) return null;
  // An IPv4 peer on a dual-stack socket reads ::ffff:a.b.c.d; one client, one spelling.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** The client's address for this request, behind TRUSTED_PROXIES proxies. */
export function clientIp(h: Headers): string | null {
  return clientAddress(h.get("x-forwarded-for"), env.TRUSTED_PROXIES);
}

export async function requestIp(): Promise<string | null> {
  return clientIp(await headers());
}
