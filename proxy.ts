import NextAuth from "next-auth";
import { NextResponse, type NextRequest } from "next/server";
import { authConfig } from "@/lib/auth/config";
import { authSecret, env } from "@/lib/env";
import { newNonce, securityHeaders, servedOverHttps } from "@/lib/security/headers";

/** Reached without a staff session: sign-in, the API (it has keys), Next's files, the customers' links. */
const OPEN = /^\/(signin|api\/|_next\/|consent\/|privacy\/download\/|favicon\.ico|robots\.txt)/;
/** Answers that are no page, so no document runs anything: the API and Next's static files. */
const NOT_A_PAGE = /^\/(api|_next\/static|_next\/image)\//;

/** Lets the request through with the security headers; a page's nonce also goes to Next.js's renderer. */
function pass(request: NextRequest): NextResponse {
  const nonce = NOT_A_PAGE.test(request.nextUrl.pathname) ? null : newNonce();
  const headers = securityHeadersFor(request, nonce);
  if (!nonce) return withHeaders(NextResponse.next(), headers);
  // Next.js takes the nonce from the request's policy and puts it on every script and style it writes.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", headers["Content-Security-Policy"]!);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }), headers);
}

function securityHeadersFor(request: NextRequest, nonce: string | null) {
  const https = servedOverHttps(env.APP_URL, request.headers.get("x-forwarded-proto"), env.TRUSTED_PROXIES);
  return securityHeaders({ nonce, development: env.NODE_ENV === "development", https });
}

function withHeaders<R extends Response>(response: R, headers: Record<string, string>): R {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// Coarse redirect only: a visitor with no session cookie is sent to sign-in. Every page, action and
// route checks the session against the database itself (lib/auth, lib/action, lib/api/handler).
const staffArea = NextAuth({ ...authConfig, secret: authSecret() }).auth((request) => {
  if (request.auth?.user) return pass(request);
  const signIn = new URL("/signin", request.nextUrl);
  signIn.searchParams.set("callbackUrl", request.nextUrl.href);
  return withHeaders(NextResponse.redirect(signIn), securityHeadersFor(request, null));
});

// Every answer passes here, API and static files too, so each carries the security headers; the
// session cookie is decoded only for the staff area.
export default function proxy(request: NextRequest, event: Parameters<typeof staffArea>[1]) {
  return OPEN.test(request.nextUrl.pathname) ? pass(request) : staffArea(request, event);
}
