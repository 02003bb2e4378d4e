/**
 * `npm run keys:rotate`: after a new key was put first in ATTEST_KEYS (the old ones after it), seals
 * every sealed value again with the new key, in batches with progress, then says which old keys are
 * still needed and why. Safe to run again and to interrupt. Like `npm run seed`, never run it against
 * the PGlite folder of a running server (stop the server first).
 */
import { runAsCommand } from "@/db/command";
import { systemActor } from "@/lib/actor";
import { LEGACY_KEY_ID } from "@/lib/env";
import { rotateKeys, type RotationReport } from "@/lib/keys/rotation";

function describeRotation(report: RotationReport): string {
  const lines = [`Current key: '${report.currentKeyId}'. Re-sealed ${report.resealed} value(s).`];
  for (const u of report.unreadable) {
    lines.push(
      `  Could not open ${u.count} ${u.what}: key '${u.keyId}' is not in ATTEST_KEYS (add it back, after the current key, and run again).`,
    );
  }
  const keys = [...new Set(report.stillNeeded.map((u) => u.keyId))];
  if (keys.length === 0) lines.push("No value needs an older key: only the current key must stay in ATTEST_KEYS.");
  for (const keyId of keys) {
    lines.push(
      keyId === LEGACY_KEY_ID
        ? "Still needed: the secret of the values from before the keyring (AUTH_SECRET). Before changing AUTH_SECRET, add legacy:<its current value> to ATTEST_KEYS:"
        : `Still needed: key '${keyId}' (keep it in ATTEST_KEYS, after the current key):`,
    );
    for (const u of report.stillNeeded.filter((x) => x.keyId === keyId)) lines.push(`  ${u.count} ${u.what}`);
  }
  return lines.join("\n");
}

runAsCommand(import.meta.url, async ({ db }) =>
  describeRotation(await rotateKeys(db, systemActor("npm run keys:rotate"), console.log)),
);
