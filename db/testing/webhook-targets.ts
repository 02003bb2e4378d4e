import type { ResolveHost, TargetPolicy } from "@/lib/webhooks/targets";

/** A public address for the tests' made-up names: they only register it, nothing is ever sent to it. */
export const PUBLIC_TEST_ADDRESS = "93.184.215.14";

/** DNS from a table, so that no test looks a name up: a name it lacks is not found. */
export function fakeDns(answers: Record<string, string[]>): ResolveHost {
  return async (hostname) => {
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return found;
  };
}

/**
 * Webhook targets as the tests see them: every name under .test resolves to a public address unless
 * `answers` says otherwise, and this machine is allowed (as outside a deployment) unless told not.
 */
export function offlineTargets(answers: Record<string, string[]> = {}, { loopbackAllowed = true } = {}): TargetPolicy {
  const table = fakeDns(answers);
  return {
    resolve: async (hostname) =>
      hostname in answers || !hostname.endsWith(".test") ? table(hostname) : [PUBLIC_TEST_ADDRESS],
    loopbackAllowed,
  };
}
