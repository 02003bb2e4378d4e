import path from "node:path";
import { fileURLToPath } from "node:url";
import { describeError } from "@/lib/errors";
import { connect, defaultTarget, type Connection } from "./client";

/**
 * Runs `work` on the configured database, migrated first, when the module at `moduleUrl` is the
 * script node was started with (`tsx db/seed.ts`), and not when it is imported.
 */
export function runAsCommand(moduleUrl: string, work: (connection: Connection) => Promise<string>): void {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== path.resolve(process.argv[1])) return;
  (async () => {
    const { migrate } = await import("./migrate"); // lazily: migrate.ts is itself a command
    const connection = await connect(defaultTarget());
    try {
      await migrate(connection);
      console.log(await work(connection));
    } finally {
      await connection.close();
    }
  })().catch((error: unknown) => {
    console.error(describeError(error, { maxLength: 2000 }));
    process.exit(1);
  });
}
