/** Staff account and session rules, in one place. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** How stale last_seen_at may get before a request refreshes it (saves a write per request). */
export const SESSION_TOUCH_MS = 60 * 1000;
export const MIN_PASSWORD_LENGTH = 12;
/**
 * Failed sign-ins (passwords and second-factor codes) allowed from one client address in a window,
 * whatever the accounts: one person cannot lock out a whole floor by trying everyone's email, nor
 * spray one password across many accounts.
 */
export const MAX_FAILED_SIGN_INS_PER_ADDRESS = 20;
export const ADDRESS_WINDOW_MS = 15 * 60 * 1000;
/** The step between a correct password and the second factor: long enough to enrol an app, a few tries. */
export const SIGN_IN_CHALLENGE_MS = 10 * 60 * 1000;
export const SIGN_IN_CHALLENGE_ATTEMPTS = 3;
export const RECOVERY_CODE_COUNT = 10;
/** How long an enrolment offered (QR code and secret) can be confirmed. */
export const ENROLMENT_MS = 15 * 60 * 1000;
