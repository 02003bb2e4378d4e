import { perWindow, type RateLimit } from "./limiter";

/**
 * Every rate limit of the product, in one place, each with why it is that number. A door names its
 * bucket with the helpers below, so that two doors never count into each other's bucket by accident.
 */

const MINUTE = 60 * 1000;

/**
 * An API key's requests, unless its admin set the key's own (API.md promises 429 + Retry-After).
 * 100 a second is a busy dialler working 32 lines with room to spare; the burst of 200 lets a
 * system catch up after a hiccup without being refused at once.
 */
export const API_KEY_DEFAULT: RateLimit = { perSecond: 100, burst: 200 };

/** What an admin may set a key to: one a second is the least that still works; a ceiling stops a typo. */
export const API_KEY_MAX_PER_SECOND = 100_000;
export const API_KEY_MAX_BURST = 1_000_000;

/**
 * A batch consent check costs one request per this many checks (at least one): a batch of 10,000
 * costs what 100 single checks do, a little more than the batch costs the database, so that
 * scrubbing a list in batches is never cheaper against the limit than the work it causes.
 */
export const API_BATCH_CHECKS_PER_REQUEST = 100;

export const batchCheckCost = (checks: number) => Math.max(1, Math.ceil(checks / API_BATCH_CHECKS_PER_REQUEST));

/**
 * Customer-link pages (confirm a consent, report a call, download an access package) and their
 * buttons, per client address. A customer opens one or two links of a message, and may reload:
 * 30 in 10 minutes leaves a household behind one address plenty. Guessing a token needs far more.
 */
export const CUSTOMER_LINK_VIEWS_PER_ADDRESS: RateLimit = perWindow(30, 10 * MINUTE);

/**
 * Links that could not be used (damaged, forged, unknown, expired), per client address. A real
 * customer meets one or two (a link cut in two by a mail client); 10 in 10 minutes stops anyone
 * trying tokens one after another, while the address recovers one try a minute.
 */
export const CUSTOMER_LINK_FAILURES_PER_ADDRESS: RateLimit = perWindow(10, 10 * MINUTE);

/**
 * Failed staff sign-ins per client address (issue 11): enough for a floor of agents behind one
 * address to mistype, too few to try a password across many accounts. The per-account lockout
 * stays as it is; this one keeps a single person from locking out a whole floor.
 */
export const STAFF_SIGN_IN_FAILURES_PER_ADDRESS: RateLimit = perWindow(20, 15 * MINUTE);

/** Where an address is unknown (no socket address reached us), every such request shares one bucket. */
const address = (ip: string | null) => ip ?? "unknown";

export const bucketFor = {
  apiKey: (apiKeyId: string) => `api-key:${apiKeyId}`,
  customerLinkViews: (ip: string | null) => `customer-link-view:${address(ip)}`,
  customerLinkFailures: (ip: string | null) => `customer-link-failure:${address(ip)}`,
  staffSignInFailures: (ip: string | null) => `staff-sign-in-failure:${address(ip)}`,
};
