"use client";

import { useSyncExternalStore } from "react";

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

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
