"use client";

import { useSyncExternalStore } from "react";
import { formatDuration } from "./duration";

const everySecond = (tick: () => void) => {
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
};
const currentSecond = () => Math.floor(Date.now() / 1000);

/** Time on the call, counted from the server's start time so a reload does not reset it. */
export function CallTimer({ startedAt }: { startedAt: string }) {
  const started = Math.floor(new Date(startedAt).getTime() / 1000);
  const now = useSyncExternalStore(everySecond, currentSecond, () => null);
  return (
    <span className="font-mono text-lg font-semibold tabular-nums" aria-label="Call duration">
      {now === null ? "0:00" : formatDuration(now - started)}
    </span>
  );
}
