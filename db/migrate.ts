import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { connect, defaultTarget, type Connection } from "./client";

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

/** Applies the committed migrations. The one migrate step used by start-up, tests and CI. */
export async function migrate(connection: Connection): Promise<void> {
  if (connection.kind === "pglite") {
    await migratePglite(connection.db as unknown as PgliteDatabase, { migrationsFolder });
  } else {
    await migratePostgres(connection.db as unknown as PostgresJsDatabase, { migrationsFolder });
  }
}

async function main() {
  const connection = await connect(defaultTarget());
  try {
    await migrate(connection);
    console.log("migrations applied");
  } finally {
    await connection.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
