import type { InteractionView } from "@/lib/interactions/interactions";
import { DISPOSITION_LABELS } from "@/lib/interactions/interactions";
import { formatDuration } from "./duration";
import { Badge } from "@/components/ui/card";

const when = (d: Date) => d.toISOString().replace("T", " ").slice(0, 16) + " UTC";

export function InteractionHistory({ interactions }: { interactions: InteractionView[] }) {
  if (interactions.length === 0) return <p className="text-sm text-slate-700">No calls yet.</p>;
  return (
    <ol className="divide-y divide-slate-100">
      {interactions.map((i) => (
        <li key={i.id} className="py-2 text-sm">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium">{when(i.startedAt)}</span>
            <span className="text-slate-600">{i.agentName}</span>
            {i.endedAt ? (
              <>
                <span className="text-slate-600">{formatDuration((i.endedAt.getTime() - i.startedAt.getTime()) / 1000)}</span>
                {i.disposition ? <Badge>{DISPOSITION_LABELS[i.disposition]}</Badge> : null}
              </>
            ) : (
              <Badge tone="good">In progress</Badge>
            )}
          </div>
          {i.summary ? <p className="mt-1 whitespace-pre-line text-slate-800">{i.summary}</p> : null}
        </li>
      ))}
    </ol>
  );
}
