import { randomBytes } from "node:crypto";

/**
 * The security headers of every answer, set by proxy.ts at request time (not in next.config.js,
 * whose headers are fixed at build time: whether the app is served over https is known only when it
 * runs). Pages get a Content-Security-Policy with a fresh nonce: Next.js reads it from the request's
 * policy and puts it on its own scripts and style tags, so no inline script runs without it. Every
 * other answer (API, static files) is no document to run anything in and gets a policy allowing nothing.
 */

export type SecurityContext = {
  /** A fresh nonce for a page; null for an answer that is not a page. */
  nonce: string | null;
  /** `next dev`: React rebuilds server error stacks with eval and hot reloading injects plain styles. */
  development: boolean;
  https: boolean;
};

/** 128 random bits, fresh for each page request. */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export function contentSecurityPolicy({ nonce, development, https }: SecurityContext): string {
  if (nonce === null) return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  const directives = [
    "default-src 'self'",
    // 'strict-dynamic': the chunks Next.js's nonce-bearing runtime loads are trusted through it.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    // Tailwind's stylesheet is a file ('self'); Next.js puts the nonce on the style tags it inlines. In
    // development the hot reloader injects style tags without one, and a nonce would void 'unsafe-inline'.
    development ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    // data: for images drawn in the page, such as the QR code to enrol an authenticator.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  // Over plain http (the embedded demo on localhost) upgrading would send the page's own requests to https.
  if (https) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** Powerful browser features the app never uses, refused to it and to anything it might embed. */
const REFUSED_FEATURES = [
  "accelerometer",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "usb",
];

/** Two years, as the browsers' HSTS preload list recommends; subdomains too: no part of the site is http. */
const HSTS = "max-age=63072000; includeSubDomains";

export function securityHeaders(context: SecurityContext): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(context),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": REFUSED_FEATURES.map((feature) => `${feature}=()`).join(", "),
    // frame-ancestors for browsers that predate it.
    "X-Frame-Options": "DENY",
    // A page opened from ours (a customer's mail, a payment provider) gets no handle on our window.
    "Cross-Origin-Opener-Policy": "same-origin",
    ...(context.https ? { "Strict-Transport-Security": HSTS } : {}),
  };
}

/**
 * Whether the browser reached the app over https: APP_URL says so, or, behind trusted proxies, the
 * scheme the nearest one reports. Without a trusted proxy X-Forwarded-Proto is the client's own word;
 * believing it would only send HSTS over http, which browsers ignore, but it is not believed either.
 */
export function servedOverHttps(appUrl: string, forwardedProto: string | null, trustedProxies: number): boolean {
  if (new URL(appUrl).protocol === "https:") return true;
  if (trustedProxies === 0 || !forwardedProto) return false;
  return forwardedProto.split(",").at(-1)!.trim().toLowerCase() === "https";
}
