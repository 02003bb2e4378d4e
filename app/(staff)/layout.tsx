import Link from "next/link";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { openVerificationAlertCount } from "@/lib/identity/verification";
import { openConsentDisputeCount } from "@/lib/consent/disputes";
import { urgentPrivacyRequestCount } from "@/lib/privacy-requests/queue";
import { signOutAction } from "./actions";

const ROLE_LABELS = { agent: "Agent", supervisor: "Supervisor", admin: "Admin" } as const;

export default async function StaffLayout({ children }: { children: ReactNode }) {
  const staff = await requireStaff();
  const db = await getDb();
  const [verificationAlerts, disputes, urgentRequests] = await Promise.all([openVerificationAlertCount(db, staff), openConsentDisputeCount(db, staff), urgentPrivacyRequestCount(db, staff)]);
  const openAlerts = verificationAlerts + disputes;
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl items-center gap-6 px-4 py-2">
          <Link href="/desk" className="text-lg font-bold text-brand-800">
            Attest
          </Link>
          <nav aria-label="Main" className="flex gap-4 text-sm font-medium">
            <Link href="/desk" className="text-slate-700 hover:text-brand-700">
              Desk
            </Link>
            {staff.role !== "agent" ? (
              <Link href="/alerts" className="inline-flex items-center gap-1 text-slate-700 hover:text-brand-700">
                Verification alerts
                {openAlerts > 0 ? (
                  <span className="rounded-full bg-red-700 px-1.5 text-xs font-bold text-white">
                    {openAlerts}
                    <span className="sr-only"> open</span>
                  </span>
                ) : null}
              </Link>
            ) : null}
            {staff.role !== "agent" ? (
              <Link href="/privacy-requests" className="inline-flex items-center gap-1 text-slate-700 hover:text-brand-700">
                Privacy requests
                {urgentRequests > 0 ? (
                  <span className="rounded-full bg-amber-700 px-1.5 text-xs font-bold text-white">
                    {urgentRequests}
                    <span className="sr-only"> due within 7 days or overdue</span>
                  </span>
                ) : null}
              </Link>
            ) : null}
            {staff.role !== "agent" ? <Link href="/consent-audit" className="text-slate-700 hover:text-brand-700">Consent audit</Link> : null}
            {staff.role === "admin" ? (
              <>
                <Link href="/admin/staff" className="text-slate-700 hover:text-brand-700">
                  Staff
                </Link>
                <Link href="/admin/tenants" className="text-slate-700 hover:text-brand-700">
                  Tenants
                </Link>
                <Link href="/admin/purposes" className="text-slate-700 hover:text-brand-700">Purposes</Link>
                <Link href="/admin/api-keys" className="text-slate-700 hover:text-brand-700">
                  API keys
                </Link>
                <Link href="/admin/webhooks" className="text-slate-700 hover:text-brand-700">
                  Webhooks
                </Link>
              </>
            ) : null}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-slate-700">
              {staff.name} <span className="text-slate-600">· {ROLE_LABELS[staff.role]}</span>
            </span>
            <Link href="/account/security" className="text-slate-700 hover:text-brand-700">
              Security
            </Link>
            <form action={signOutAction}>
              <button type="submit" className="rounded-md border border-slate-300 px-3 py-1 font-medium hover:bg-slate-50">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <Providers>{children}</Providers>
      </main>
    </>
  );
}
