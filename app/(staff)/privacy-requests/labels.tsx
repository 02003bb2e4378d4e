import { Badge } from "@/components/ui/card";
import type { PrivacyRequestStatus } from "@/db/schema";
import { REGIMES, type Regime } from "@/lib/privacy-requests/deadlines";
import { dayWords as longDay } from "@/lib/privacy-requests/messages";

const STATUS: Record<PrivacyRequestStatus, { label: string; tone: "neutral" | "good" | "warn" | "bad" | "info" }> = {
  identity_pending: { label: "Identity pending", tone: "warn" },
  open: { label: "Open", tone: "info" },
  in_progress: { label: "In progress", tone: "info" },
  awaiting_release: { label: "Awaiting release", tone: "info" },
  completed: { label: "Completed", tone: "good" },
  rejected: { label: "Refused", tone: "neutral" },
};

const regimeOf = (regime: string) => REGIMES[regime as Regime] as (typeof REGIMES)[Regime] | undefined;

export const regimeLabel = (regime: string) => regimeOf(regime)?.label ?? regime;

/** A day as the rule's own jurisdiction counts it: a CCPA request is due at the end of a California day. */
export const dayWords = (at: Date, regime?: string) => longDay(at, regime, true);

export function StatusBadge({ status }: { status: PrivacyRequestStatus }) {
  // Never broken over two lines in a narrow table cell.
  return (
    <span className="whitespace-nowrap">
      <Badge tone={STATUS[status].tone}>{STATUS[status].label}</Badge>
    </span>
  );
}

export function DeadlineBadge({ state }: { state: "overdue" | "due_soon" | "on_track" }) {
  if (state === "overdue") return <span className="whitespace-nowrap"><Badge tone="bad">overdue</Badge></span>;
  if (state === "due_soon") return <span className="whitespace-nowrap"><Badge tone="warn">due soon</Badge></span>;
  return null;
}
