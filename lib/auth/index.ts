import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { notFound, redirect } from "next/navigation";
import { getDb } from "@/db/client";
import type { StaffRole } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import { authSecret } from "@/lib/env";
import { resolveSession } from "@/lib/staff/sessions";
import { signIn as checkSignIn } from "@/lib/staff/sign-in";
import { authConfig } from "./config";
import { clientIp, requestIp } from "./request";

export const { handlers, auth, signIn, signOut } = NextAuth({
  ...authConfig,
  secret: authSecret(),
  providers: [
    Credentials({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        const email = typeof credentials?.email === "string" ? credentials.email : "";
        const password = typeof credentials?.password === "string" ? credentials.password : "";
        if (!email || !password || email.length > 254 || password.length > 200) throw new CredentialsSignin();
        const db = await getDb();
        const result = await checkSignIn(db, email, password, clientIp(request.headers));
        if (!result.ok) throw new CredentialsSignin();
        const actor = await resolveSession(db, result.sessionId, null);
        if (!actor) throw new CredentialsSignin();
        return { id: actor.id, email: actor.email, name: actor.name, sessionId: actor.sessionId, role: actor.role, tenantIds: actor.tenantIds };
      },
    }),
  ],
});

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
