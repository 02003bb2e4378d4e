/** Where sign-in goes when `next` is missing or not acceptable. */
export const AFTER_SIGN_IN = "/desk";

/**
 * The page to open after sign-in. `next` comes from the address bar, so it is resolved the way a
 * browser would resolve it (backslashes as slashes, tabs and newlines dropped) against the app's own
 * origin, and kept only when it stays there; what is returned is a path, never an address. Anything
 * else (`//evil.com`, `/\evil.com`, `https://evil.com`, `javascript:`) falls back to the desk.
 */
export function afterSignInPath(next: unknown, origin: string): string {
  if (typeof next !== "string" || !next || next.length > 2048) return AFTER_SIGN_IN;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return AFTER_SIGN_IN;
  }
  if (url.origin !== new URL(origin).origin) return AFTER_SIGN_IN;
  const path = url.pathname + url.search + url.hash;
  // A path that starts with two slashes is read as another host; so is its percent-encoded form by
  // anything that decodes it once more on the way.
  if (/^[/\\]{2}/.test(path) || /^[/\\]{2}/.test(safeDecode(url.pathname))) return AFTER_SIGN_IN;
  if (url.pathname === "/signin" || url.pathname.startsWith("/signin/")) return AFTER_SIGN_IN;
  return path;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
