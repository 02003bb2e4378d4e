import type { ReactNode } from "react";

export function Card({ title, actions, children, className = "", titleId }: { title?: string; actions?: ReactNode; children: ReactNode; className?: string; titleId?: string }) {
  return (
    <section aria-labelledby={title ? titleId : undefined} className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm ${className}`}>
      {title || actions ? (
        <div className="mb-3 flex items-center justify-between gap-2">
          {title ? (
            <h2 id={titleId} className="text-base font-semibold text-slate-900">
              {title}
            </h2>
          ) : null}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

const badgeTones = {
  neutral: "bg-slate-100 text-slate-800",
  good: "bg-green-100 text-green-900",
  warn: "bg-amber-100 text-amber-900",
  bad: "bg-red-100 text-red-900",
  info: "bg-brand-100 text-brand-800",
} as const;

export function Badge({ tone = "neutral", children }: { tone?: keyof typeof badgeTones; children: ReactNode }) {
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold ${badgeTones[tone]}`}>{children}</span>;
}
