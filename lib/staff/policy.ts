/** Staff account and session rules, in one place. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** How stale last_seen_at may get before a request refreshes it (saves a write per request). */
export const SESSION_TOUCH_MS = 60 * 1000;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

/**
 * The letters of the passwords found most often in breaches (NIST 800-63B 5.1.1.2), which padding
 * with digits and symbols ("Password2026!") does not make any stronger.
 */
const BREACHED_WORDS = new Set([
  "password", "mypassword", "passwd", "passw", "qwerty", "qwertyuiop", "azerty", "asdfgh", "abc", "abcdef", "letmein", "iloveyou",
  "welcome", "admin", "administrator", "changeme", "secret", "monkey", "dragon", "football", "sunshine", "princess", "attest", "demopassword",
]);
const MIN_DISTINCT_CHARACTERS = 6;

/**
 * Why a staff password is too weak, or null. Length and what the password must not contain, not
 * character classes (NIST 800-63B): a long passphrase passes, a padded common password or one built
 * from the person's own name or email does not.
 */
export function weakPasswordReason(password: string, person: { name?: string; email?: string } = {}): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (new Set(lower).size < MIN_DISTINCT_CHARACTERS) return `Password must use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  const letters = lower.replace(/[^\p{L}]/gu, "");
  if (letters === "" || BREACHED_WORDS.has(letters)) return "Password is a common password; choose a phrase of your own";
  const own = [person.email?.split("@")[0], ...(person.name?.split(/\s+/) ?? [])].filter((w): w is string => !!w && w.length >= 3);
  if (own.some((w) => lower.includes(w.toLowerCase()))) return "Password must not contain your name or email";
  return null;
}

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
