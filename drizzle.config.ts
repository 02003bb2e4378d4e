import { defineConfig } from "drizzle-kit";

// Only `drizzle-kit generate` uses this: it reads the schema and writes SQL; it never touches a database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
