import NextAuth from "next-auth";
import { authConfig } from "@/lib/auth/config";
import { authSecret } from "@/lib/env";

// Coarse redirect only: a visitor with no session cookie is sent to sign-in. Every page, action and
// route checks the session against the database itself (lib/auth, lib/action, lib/api/handler).
export default NextAuth({ ...authConfig, secret: authSecret() }).auth;

export const config = {
  matcher: ["/((?!signin|api/|_next/|consent/|privacy/download/|favicon.ico|robots.txt).*)"],
};
