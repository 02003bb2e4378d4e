import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { notFound, redirect } from "next/navigation";
import { getDb } from "@/db/client";
import type { StaffRole } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import { authSecret } from "@/lib/env";
import { resolveSession } from "@/lib/staff/sessions";
import { authConfig } from "./config";
import { requestIp } from "./request";
import { grantedSession, sessionGrant } from "./session-grant";

export const { handlers, auth, signIn, signOut } = NextAuth({
  ...authConfig,
  secret: authSecret(),
  providers: [
    // No password reaches Auth.js: lib/staff/sign-in.ts checks it (and the second factor) and opens
    // the session; this provider only turns a fresh grant for that session into the cookie.
    Credentials({
      id: "staff-session",
      credentials: { grant: {} },
      async authorize(credentials) {
        const sessionId = grantedSession(credentials?.grant);
        if (!sessionId) throw new CredentialsSignin();
        const actor = await resolveSession(await getDb(), sessionId, null);
        if (!actor) throw new CredentialsSignin();
        return { id: actor.id, email: actor.email, name: actor.name, sessionId: actor.sessionId, role: actor.role, tenantIds: actor.tenantIds };
      },
    }),
  ],
});

/** Writes the session cookie for a session lib/staff has just opened (or for a grant made for it). */
export async function startStaffSession(session: { sessionId: string } | { grant: string }): Promise<void> {
  await signIn("staff-session", { grant: "grant" in session ? session.grant : sessionGrant(session.sessionId), redirect: false });
}

/** The signed-in staff member, read fresh from the database; null when there is none or it has ended. */
export async function currentStaff(): Promise<StaffActor | null> {
  const session = await auth();
  const sessionId = (session as { sessionId?: string } | null)?.sessionId;
  if (!sessionId) return null;
  return resolveSession(await getDb(), sessionId, await requestIp());
}

/** For pages: the staff member, or a redirect to sign-in; a page outside their role is not found. */
export async function requireStaff(...roles: StaffRole[]): Promise<StaffActor> {
  const actor = await currentStaff();
  if (!actor) redirect("/signin");
  if (roles.length && !roles.includes(actor.role)) notFound();
  return actor;
}
