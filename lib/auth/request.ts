import { headers } from "next/headers";

/** The client's address as the load balancer reports it. */
export function clientIp(h: Headers): string | null {
  const forwarded = h.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || h.get("x-real-ip") || null;
}

export async function requestIp(): Promise<string | null> {
  return clientIp(await headers());
}
