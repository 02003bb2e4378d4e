import { createHash } from "node:crypto";
import { strToU8, zipSync } from "fflate";

/**
 * The files of an access or portability package (RULES.md B6, B12): each data set as JSON and as CSV,
 * the documents that explain them, all in one zip. Pure: it is given the records and knows nothing of
 * the database, so what goes into a package is decided in one place (access-package.ts) and how it is
 * written in another.
 */

export type FieldDoc = { name: string; type: string; description: string };

/** One table-like set of records: `profile`, `consent-history`, `payment-methods`… */
export type DataSet = {
  /** The file name without extension: lower case, digits and dashes. */
  key: string;
  title: string;
  description: string;
  fields: FieldDoc[];
  records: Record<string, unknown>[];
};

export type PackageFile = { name: string; content: string; records: number };

export type BuiltPackage = { zip: Uint8Array; sha256: string; sizeBytes: number; manifest: { file: string; records: number }[] };

/** How a value reads in JSON: times as ISO 8601 UTC, everything else as is. */
function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value ?? null;
}

/**
 * Nested objects become dotted columns (`address.line1`), lists of plain values are joined with "; ",
 * lists of objects are kept as JSON text, empty values are left out: one row per record, whatever its
 * shape.
 */
export function flattenRecord(record: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(record)) {
    const name = prefix ? `${prefix}.${key}` : key;
    const value = raw instanceof Date ? raw.toISOString() : raw;
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) out[name] = value.every((v) => v === null || typeof v !== "object") ? value.join("; ") : JSON.stringify(jsonValue(value));
    else if (value && typeof value === "object") Object.assign(out, flattenRecord(value as Record<string, unknown>, name));
    else out[name] = value;
  }
  return out;
}

/** A phone number (`+44 7723…`) or a signed amount is data; anything else opening with these could be read as a spreadsheet formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?[\d ().]+$/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. A text a spreadsheet
 * would run as a formula (=, +, -, @ at the start) is prefixed with an apostrophe, so that opening
 * one's own data never runs something an earlier note smuggled in (OWASP "CSV injection").
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(jsonValue(value)) : String(value);
  if (typeof value === "string" && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The records as CSV with a header row, CRLF line ends (RFC 4180) and a byte-order mark so that
 * spreadsheets read accents right. Columns: the documented fields first (so an empty set still has
 * its header), flattened, then any others in order of appearance.
 */
export function toCsv(fields: readonly string[], records: readonly Record<string, unknown>[]): string {
  const rows = records.map((r) => flattenRecord(r));
  const columns: string[] = [];
  const add = (c: string) => {
    if (!columns.includes(c)) columns.push(c);
  };
  for (const field of fields) {
    const nested = rows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith(`${field}.`)));
    if (nested.length === 0 || rows.some((r) => field in r)) add(field);
    nested.forEach(add);
  }
  rows.forEach((r) => Object.keys(r).forEach(add));
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))];
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

/** A data set's two files: `<key>.json` (title, description, records) and `<key>.csv`. */
export function dataSetFiles(set: DataSet, generatedAt: Date): PackageFile[] {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(set.key)) throw new Error(`not a data-set key: ${set.key}`);
  const json = { dataSet: set.key, title: set.title, description: set.description, generatedAt: generatedAt.toISOString(), recordCount: set.records.length, records: jsonValue(set.records) };
  return [
    { name: `${set.key}.json`, content: `${JSON.stringify(json, null, 2)}\n`, records: set.records.length },
    { name: `${set.key}.csv`, content: toCsv(set.fields.map((f) => f.name), set.records), records: set.records.length },
  ];
}

/** The documented schema of every data set (B12 "with a documented schema"). */
export function schemaDocument(sets: readonly DataSet[], generatedAt: Date) {
  return {
    generatedAt: generatedAt.toISOString(),
    format:
      "Each data set is given twice: <name>.json (UTF-8; an object whose `records` array holds one object per record) and <name>.csv (UTF-8 with a byte-order mark, comma-separated, RFC 4180 quoting, one header row). " +
      "Times are ISO 8601 in UTC. Empty values are null in JSON and empty in CSV. In CSV, nested objects become dotted columns (address.line1), lists are joined with \"; \", and a text that starts with =, +, - or @ (other than a number) is prefixed with an apostrophe so that a spreadsheet does not run it as a formula.",
    dataSets: sets.map((s) => ({ name: s.key, title: s.title, description: s.description, files: [`${s.key}.json`, `${s.key}.csv`], records: s.records.length, fields: s.fields })),
  };
}

/** Zips the files (deflate), each stamped with the build time. */
export function zipFiles(files: readonly PackageFile[], mtime: Date): Uint8Array {
  const names = new Set<string>();
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const f of files) {
    if (names.has(f.name)) throw new Error(`two files named ${f.name}`);
    names.add(f.name);
    entries[f.name] = [strToU8(f.content), { mtime }];
  }
  return zipSync(entries, { level: 6 });
}

/**
 * The whole package: the given documents (README.txt, about-this-data.json…) first, then each data
 * set's JSON and CSV, and schema.json. Answers the zip with its SHA-256, its size and the manifest the
 * reviewer reads (file names and record counts; a document counts as one record).
 */
export function assemblePackage(input: { documents: { name: string; content: string }[]; sets: readonly DataSet[]; generatedAt: Date }): BuiltPackage {
  const files: PackageFile[] = [
    ...input.documents.map((d) => ({ ...d, records: 1 })),
    ...input.sets.flatMap((s) => dataSetFiles(s, input.generatedAt)),
    { name: "schema.json", content: `${JSON.stringify(schemaDocument(input.sets, input.generatedAt), null, 2)}\n`, records: 1 },
  ];
  const zip = zipFiles(files, input.generatedAt);
  return {
    zip,
    sha256: createHash("sha256").update(zip).digest("hex"),
    sizeBytes: zip.byteLength,
    manifest: files.map((f) => ({ file: f.name, records: f.records })),
  };
}
