import { describeError } from "@/lib/errors";

/**
 * Runs a background job every `intervalMs` (outbox delivery, the consent expiry sweep): each run
 * calls `runBatch` again at once while it reports more work waiting, so a backlog is caught up
 * without waiting for the next tick, and a run still going when the next tick comes is not doubled
 * up. A failed run is logged (without personal data) and the next tick tries again. Returns a stop
 * function that waits for the run under way.
 */
export function startPeriodicJob(name: string, intervalMs: number, runBatch: () => Promise<{ moreWaiting: boolean }>): () => Promise<void> {
  let run: Promise<void> | undefined;
  let stopped = false;

  async function runUntilCaughtUp() {
    while (!stopped && (await runBatch()).moreWaiting);
  }

  const timer = setInterval(() => {
    if (run) return;
    run = runUntilCaughtUp()
      .catch((error: unknown) => console.error(`${name} failed: ${describeError(error)}`))
      .finally(() => {
        run = undefined;
      });
  }, intervalMs);

  return async () => {
    stopped = true;
    clearInterval(timer);
    await run;
  };
}
