import type { Metadata } from "next";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; next?: string }> }) {
  const params = await searchParams;
  let next = params.next;
  if (!next && params.callbackUrl) {
    try {
      const url = new URL(params.callbackUrl, "http://local");
      next = url.pathname + url.search;
    } catch {
      next = undefined;
    }
  }
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-2xl font-bold text-brand-800">Attest</h1>
        <p className="mb-6 mt-1 text-sm text-slate-600">Sign in to the agent desk.</p>
        <SignInForm next={next} />
      </div>
    </main>
  );
}
