import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";

/**
 * Every column of every table in the database, each table's rows cast to text and joined: what a
 * "found nowhere" test searches (card data, an erased customer's details). The column list is read
 * from information_schema, so a table added later is searched without anyone remembering to.
 */
export async function everyTableAsText(db: Db): Promise<{ table: string; text: string }[]> {
  const columns = await queryRows<{ table_schema: string; table_name: string; column_name: string }>(
    db,
    sql`select table_schema, table_name, column_name from information_schema.columns
        where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg_toast%'
        order by table_schema, table_name, ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) {
    const key = `"${c.table_schema}"."${c.table_name}"`;
    tables.set(key, [...(tables.get(key) ?? []), `"${c.column_name.replaceAll('"', '""')}"::text`]);
  }
  const result: { table: string; text: string }[] = [];
  for (const [table, cols] of tables) {
    const rows = await queryRows<{ row: string | null }>(db, sql.raw(`select concat_ws(' | ', ${cols.join(", ")}) as row from ${table}`));
    result.push({ table, text: rows.map((r) => r.row ?? "").join("\n") });
  }
  return result;
}
