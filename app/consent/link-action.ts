import "server-only";
import { randomUUID } from "node:crypto";
import { headers } from "next/headers";
import { getDb, type Db } from "@/db/client";
import { clientIp } from "@/lib/auth/request";
import { LinkError } from "@/lib/consent/links";
import { ConflictError, NotFoundError, describeError } from "@/lib/errors";
import { customerLinkRefusal, withinCustomerLinkLimits } from "@/lib/rate-limit/customer-links";
import { RateLimitedError } from "@/lib/rate-limit/limiter";
import { nullCharacterFields } from "@/lib/null-character";

/** What a customer-link form answers, read with useActionState. */
export type LinkActionState = { ok: true; message: string } | { ok: false; error: string } | null;

type RequestMeta = { ip: string | null; userAgent: string | null };

/** The request's address and browser, kept as evidence of the customer's act. */
export async function requestMeta(): Promise<RequestMeta> {
  const h = await headers();
  return { ip: clientIp(h), userAgent: h.get("user-agent")?.slice(0, 1000) ?? null };
}

/** The link's token from the form; one holding a NUL (which no link we sign does) is a damaged link. */
export function linkToken(form: FormData): string {
  // Anyone may post anything to an action, not only the form's FormData.
  const token = form instanceof FormData ? form.get("token") : null;
  if (typeof token !== "string" || nullCharacterFields(token).length > 0) throw new LinkError("malformed");
  return token;
}

/** The words a customer sees when a link cannot be used; anything unexpected is logged without personal data. */
export function linkProblem(error: unknown): string {
  if (error instanceof RateLimitedError) return customerLinkRefusal(error);
  if (error instanceof LinkError) {
    return error.reason === "expired" ? `${error.message} Call us on the number on our website and we will help.` : error.message;
  }
  if (error instanceof NotFoundError) return "This link does not match anything we hold. It may have been sent in error.";
  if (error instanceof ConflictError) return error.message;
  const reference = randomUUID();
  console.error(`[customer link ${reference}] ${describeError(error)}`);
  return `Something went wrong and nothing was changed. Please try again later. Reference: ${reference}`;
}

/** Runs a link door's work within the client address's limits (lib/rate-limit/customer-links.ts). */
export async function withinLinkLimits<T>(open: (db: Db, meta: RequestMeta) => Promise<T>): Promise<T> {
  const [db, meta] = await Promise.all([getDb(), requestMeta()]);
  return withinCustomerLinkLimits(db, meta.ip, () => open(db, meta));
}

/** Opens what a link points to, or says in the customer's words why it cannot be used. */
export async function openLink<T>(
  open: (db: Db) => Promise<T>,
): Promise<{ view: T; problem: null } | { view: null; problem: string }> {
  try {
    return { view: await withinLinkLimits(open), problem: null };
  } catch (error) {
    return { view: null, problem: linkProblem(error) };
  }
}
