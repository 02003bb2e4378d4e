import { describeError } from "@/lib/errors";

/**
 * Subscribes `runNow` to whatever announces new work (a queued message); resolves, once subscribed,
 * with the function that unsubscribes.
 */
export type WakeUps = (runNow: () => void) => Promise<() => Promise<void>>;

/**
 * Runs a background job every `intervalMs` (outbox delivery, the consent expiry sweep): each run
 * calls `runBatch` again at once while it reports more work waiting, so a backlog is caught up
 * without waiting for the next tick, and a run still going when the next tick comes is not doubled
 * up. A failed run is logged (without personal data) and the next tick tries again. With `wakeUps`,
 * work is also done as soon as it is announced, the interval staying as the fallback: a run right
 * after subscribing (for work announced before), and one more after the run under way when work is
 * announced during it (that run may have looked before the work was there). Returns a stop function
 * that waits for the run under way.
 */
export function startPeriodicJob(
  name: string,
  intervalMs: number,
  runBatch: () => Promise<{ moreWaiting: boolean }>,
  wakeUps?: WakeUps,
): () => Promise<void> {
  let run: Promise<void> | undefined;
  let runAgain = false;
  let stopped = false;

  async function runUntilCaughtUp() {
    while (!stopped && (await runBatch()).moreWaiting);
  }

  function startRun() {
    run = runUntilCaughtUp()
      .catch((error: unknown) => console.error(`${name} failed: ${describeError(error)}`))
      .finally(() => {
        run = undefined;
        if (runAgain && !stopped) {
          runAgain = false;
          startRun();
        }
      });
  }

  const timer = setInterval(() => {
    if (!run) startRun();
  }, intervalMs);

  const runNow = () => {
    if (stopped) return;
    if (run) runAgain = true;
    else startRun();
  };
  const subscribed = wakeUps?.(runNow).then(
    (unsubscribe) => {
      runNow();
      return unsubscribe;
    },
    (error: unknown) => {
      console.error(`${name} cannot be woken, so runs every ${intervalMs} ms only: ${describeError(error)}`);
      return undefined;
    },
  );

  return async () => {
    stopped = true;
    clearInterval(timer);
    const unsubscribe = await subscribed;
    await unsubscribe?.();
    await run;
  };
}
