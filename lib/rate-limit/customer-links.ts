import type { Db } from "@/db/client";
import { LinkError } from "@/lib/consent/links";
import { NotFoundError } from "@/lib/errors";
import { DownloadLinkError } from "@/lib/privacy-requests/access-package";
import { RateLimitedError, peek, take, takeOrRefuse } from "./limiter";
import { CUSTOMER_LINK_FAILURES_PER_ADDRESS, CUSTOMER_LINK_VIEWS_PER_ADDRESS, bucketFor } from "./limits";

/** A link that could not be used: damaged, forged, for another page, expired, or pointing at nothing. */
const unusableLink = (error: unknown) =>
  error instanceof LinkError || error instanceof DownloadLinkError || error instanceof NotFoundError;

/**
 * Runs what a customer-link door does (open a link's page, press its button, fetch its file) for a
 * client address, within the address's limits: each use counts against its views, and a link that
 * cannot be used against its failures. An address out of failures is refused before its token is
 * even read, which is what stops anyone trying tokens one after another. Throws RateLimitedError.
 * Low traffic, so each use goes to the database (a lease would only blur the count).
 */
export async function withinCustomerLinkLimits<T>(
  db: Db,
  ip: string | null,
  open: () => Promise<T>,
  now = new Date(),
): Promise<T> {
  await takeOrRefuse(db, bucketFor.customerLinkViews(ip), CUSTOMER_LINK_VIEWS_PER_ADDRESS, 1, now);
  const failureBucket = bucketFor.customerLinkFailures(ip);
  const failures = await peek(db, failureBucket, CUSTOMER_LINK_FAILURES_PER_ADDRESS, 1, now);
  if (!failures.allowed) throw new RateLimitedError(failures.retryAfterSeconds);
  try {
    return await open();
  } catch (error) {
    if (unusableLink(error)) await take(db, failureBucket, CUSTOMER_LINK_FAILURES_PER_ADDRESS, 1, now);
    throw error;
  }
}

/** A refusal in a customer's words: how long to wait, in minutes (the limits are per ten minutes or so). */
export function customerLinkRefusal(error: RateLimitedError): string {
  const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
  return (
    "Our links have been opened too many times from your network in a short while, " +
    "so we have paused them to keep your data safe. " +
    `Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`
  );
}
