import type { NextAuthConfig } from "next-auth";
import { SESSION_MAX_AGE_MS } from "@/lib/staff/policy";

/**
 * The part of the Auth.js configuration that needs no database, shared by proxy.ts (coarse redirects
 * only) and lib/auth/index.ts. Whether a session is still alive is decided on the server for every
 * request by lib/staff/sessions.ts, not here.
 */
export const authConfig = {
  trustHost: true,
  pages: { signIn: "/signin" },
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_MS / 1000 },
  providers: [],
  callbacks: {
    authorized({ auth }) {
      return Boolean(auth?.user);
    },
    jwt({ token, user }) {
      if (user) {
        const signedIn = user as typeof user & { sessionId: string; role: string; tenantIds: string[] };
        token.sid = signedIn.sessionId;
        token.role = signedIn.role;
        token.tenantIds = signedIn.tenantIds;
      }
      return token;
    },
    session({ session, token }) {
      return {
        ...session,
        sessionId: token.sid as string,
        user: { ...session.user, id: token.sub!, role: token.role as string, tenantIds: token.tenantIds as string[] },
      };
    },
  },
} satisfies NextAuthConfig;
