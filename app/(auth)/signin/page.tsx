import type { Metadata } from "next";
import { afterSignInPath } from "@/lib/auth/after-sign-in";
import { env } from "@/lib/env";
import { SignInCard } from "./sign-in-card";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };

type Params = { callbackUrl?: string; next?: string; expired?: string };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  // proxy.ts sends a full address of this site as callbackUrl; only its path is ever used.
  const next = afterSignInPath(params.next ?? pathOf(params.callbackUrl), env.APP_URL);
  return (
    <SignInCard subtitle="Sign in to the agent desk.">
      {params.expired ? (
        <p role="status" className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          That sign-in has run out. Sign in again.
        </p>
      ) : null}
      <SignInForm next={next} />
    </SignInCard>
  );
}

function pathOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  try {
    const url = new URL(address, env.APP_URL);
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}
