import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { devMailboxExists, readDevMailbox } from "@/lib/notifications/transports";

export const metadata: Metadata = { title: "Dev mailbox" };
export const dynamic = "force-dynamic";

const CHANNEL_NAMES = { email: "Email", sms: "SMS" } as const;
const NEWEST = 100;

const receivedAt = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;

/**
 * What customers would have received while no SMTP relay or SMS provider is configured. A tool for
 * development, tests and the demo: in production it does not exist (devMailboxExists).
 */
export default async function DevMailboxPage() {
  if (!devMailboxExists()) notFound();
  const staff = await requireStaff();
  const messages = await readDevMailbox(await getDb(), staff, NEWEST);
  return (
    <main id="main" className="mx-auto max-w-4xl space-y-4 px-4 py-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-bold">Dev mailbox</h1>
        <Link href="/desk" className="text-sm font-semibold text-brand-700 underline">
          Back to the desk
        </Link>
      </div>
      <p className="text-sm text-slate-700">
        Email and SMS sent while no mail relay or SMS provider is configured, newest first (the last {NEWEST}), for the tenants you serve. Not
        available in production. Sealed messages (codes, links) are opened for admins only.
      </p>
      {messages.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-4 text-slate-700">No messages yet.</p>
      ) : (
        <ol aria-label="Messages" className="space-y-3">
          {messages.map((message) => (
            <li key={message.id}>
              <article aria-labelledby={`message-${message.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <div className="flex flex-wrap items-baseline justify-between gap-2">
                  <h2 id={`message-${message.id}`} className="text-base font-semibold text-slate-900">
                    {CHANNEL_NAMES[message.channel]} to {message.recipient ?? "a sealed recipient"}
                  </h2>
                  <time dateTime={message.receivedAt.toISOString()} className="text-sm text-slate-700">
                    {receivedAt(message.receivedAt)}
                  </time>
                </div>
                {message.subject ? <p className="mt-1 text-sm font-medium text-slate-800">Subject: {message.subject}</p> : null}
                {message.sensitive ? (
                  <p className="mt-1">
                    <Badge tone="warn">Sensitive: sealed at rest</Badge>
                  </p>
                ) : null}
                {message.body === null ? (
                  <p className="mt-2 text-sm text-slate-700">Sealed: only an admin can open this message.</p>
                ) : (
                  <p className="mt-2 whitespace-pre-wrap break-words text-sm text-slate-900">{message.body}</p>
                )}
              </article>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
