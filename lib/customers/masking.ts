import type { PostalAddress } from "@/db/schema";

const DOT = "•";

/** `ann.smith@example.com` → `a•••@e•••.com`. */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf("@");
  if (at < 1) return `${DOT.repeat(3)}`;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const tld = dot > 0 ? domain.slice(dot) : "";
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  return `${local[0]}${DOT.repeat(3)}@${host[0] ?? ""}${DOT.repeat(3)}${tld}`;
}

/** `+447911123456` → `•••• •••456`: the last three digits, enough for a caller to recognise. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, "");
  return `${DOT.repeat(4)} ${DOT.repeat(3)}${digits.slice(-3)}`;
}

/** `Ann Smith` → `A••• S•••`: the audit outlives an erasure, so it keeps no name in clear. */
export function maskName(name: string | null | undefined): string | null {
  if (!name) return null;
  return name
    .trim()
    .split(/\s+/)
    .map((part) => `${part[0]}${DOT.repeat(3)}`)
    .join(" ");
}

/** Town only. */
export function maskAddress(address: PostalAddress | null | undefined): string | null {
  if (!address) return null;
  return address.city;
}

export function maskDateOfBirth(date: string | null | undefined): string | null {
  return date ? `${DOT.repeat(2)}/${DOT.repeat(2)}/${DOT.repeat(4)}` : null;
}

type Maskable = {
  name?: string;
  email?: string | null;
  phone?: string | null;
  address?: PostalAddress | null;
  dateOfBirth?: string | null;
  language?: string | null;
  status?: string;
};

/** A customer's fields as the audit and masked screens may hold them. */
export function maskedCustomerFields(c: Maskable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.name !== undefined) out.name = maskName(c.name);
  if (c.email !== undefined) out.email = maskEmail(c.email);
  if (c.phone !== undefined) out.phone = maskPhone(c.phone);
  if (c.address !== undefined) out.address = maskAddress(c.address);
  if (c.dateOfBirth !== undefined) out.dateOfBirth = maskDateOfBirth(c.dateOfBirth);
  if (c.language !== undefined) out.language = c.language;
  if (c.status !== undefined) out.status = c.status;
  return out;
}
