import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { env } from "@/lib/env";

/** The addresses a host name resolves to now. Injected by tests, which never look names up. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

/**
 * Where webhooks may go. Loopback (this machine) only outside a deployment, so that a developer, the
 * embedded demo and the tests can run a receiver locally; everywhere else, public addresses only.
 */
export type TargetPolicy = { resolve: ResolveHost; loopbackAllowed: boolean };

const systemResolve: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((answer) => answer.address);

export function defaultTargetPolicy(): TargetPolicy {
  return { resolve: systemResolve, loopbackAllowed: !env.deployed };
}

/** Why a target is refused, told to the admin at registration and, generically, in the delivery log. */
export type RefusalReason = "scheme" | "not_found" | "not_public";

export class TargetRefusedError extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`webhook target refused: ${reason}`);
  }
}

/**
 * IPv4 networks a tenant's receiver can never be on: this host and its networks, private and shared
 * (carrier-grade NAT) space, link-local (where cloud metadata services answer), multicast, reserved,
 * and the benchmarking and documentation ranges, which are not routed on the internet.
 */
const REFUSED_IPV4: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
/**
 * IPv6 is allowed only in global unicast (2000::/3), which leaves out loopback, unique-local
 * (fc00::/7), link-local (fe80::/10), multicast (ff00::/8), NAT64 and the IPv4-compatible forms; and
 * within it not the protocol-assignment block (Teredo, benchmarking), 6to4 (which embeds any IPv4
 * address) nor the documentation ranges. IPv4-mapped addresses are judged as the IPv4 they carry.
 */
const GLOBAL_UNICAST_IPV6: [string, number][] = [["2000::", 3]];
const REFUSED_IPV6: [string, number][] = [
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["3fff::", 20],
];

function blockList(networks: [string, number][], type: "ipv4" | "ipv6"): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of networks) list.addSubnet(network, prefix, type);
  return list;
}
const refusedIpv4 = blockList(REFUSED_IPV4, "ipv4");
const loopbackIpv4 = blockList([["127.0.0.0", 8]], "ipv4");
const globalUnicastIpv6 = blockList(GLOBAL_UNICAST_IPV6, "ipv6");
const refusedIpv6 = blockList(REFUSED_IPV6, "ipv6");

type AddressKind = "public" | "loopback" | "refused";

function kindOfIpv4(address: string): AddressKind {
  if (loopbackIpv4.check(address, "ipv4")) return "loopback";
  return refusedIpv4.check(address, "ipv4") ? "refused" : "public";
}

/** What an IP address is, any spelling of it (the URL parser writes IPv6 one way, IPv4-mapped as hex). */
export function addressKind(address: string): AddressKind {
  if (isIP(address) === 4) return kindOfIpv4(address);
  if (isIP(address) !== 6) return "refused"; // a zone id (fe80::1%eth0) or not an address at all
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
    return kindOfIpv4([high >> 8, high & 255, low >> 8, low & 255].join("."));
  }
  if (canonical === "::1") return "loopback";
  return globalUnicastIpv6.check(canonical, "ipv6") && !refusedIpv6.check(canonical, "ipv6") ? "public" : "refused";
}

/** The checked address a delivery connects to: never looked up again, so DNS cannot change it in between. */
export type CheckedTarget = { url: URL; address: string; family: 4 | 6 };

/**
 * Resolves an endpoint's host once and checks every address it has: a public address over https, or
 * this machine (over http too) outside a deployment. Throws TargetRefusedError otherwise. The caller
 * connects to the address returned, with the host name kept for the Host header and TLS.
 */
export async function checkWebhookTarget(endpointUrl: string, policy: TargetPolicy): Promise<CheckedTarget> {
  const url = new URL(endpointUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TargetRefusedError("scheme");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await policy.resolve(host);
    } catch {
      throw new TargetRefusedError("not_found");
    }
  }
  if (addresses.length === 0) throw new TargetRefusedError("not_found");
  const kinds = addresses.map(addressKind);
  const refused = (kind: AddressKind) => kind === "refused" || (kind === "loopback" && !policy.loopbackAllowed);
  if (kinds.some(refused)) throw new TargetRefusedError("not_public");
  if (url.protocol === "http:" && !kinds.every((kind) => kind === "loopback")) throw new TargetRefusedError("scheme");
  const address = addresses[0]!;
  return { url, address, family: isIP(address) === 6 ? 6 : 4 };
}
