import { createHash } from "node:crypto";
import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { assemblePackage, csvCell, dataSetFiles, flattenRecord, schemaDocument, toCsv, zipFiles, type DataSet } from "./package-files";

const at = new Date("2026-03-04T05:06:07.000Z");

const people: DataSet = {
  key: "profile",
  title: "Your profile",
  description: "Who you are",
  fields: [
    { name: "name", type: "string", description: "Your name" },
    { name: "address", type: "object", description: "Your address" },
    { name: "createdAt", type: "time", description: "When" },
  ],
  records: [{ name: "Zoë \"Zo\" Brontë, Esq.", address: { line1: "3 Parsonage Row", city: "Haworth", postcode: "BD22 8DR" }, createdAt: at }],
};

describe("CSV cells", () => {
  it("quotes commas, quotes and line breaks (RFC 4180) and leaves plain text alone", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(at)).toBe("2026-03-04T05:06:07.000Z");
  });

  it("neutralises a text a spreadsheet would run as a formula, but not a phone number or a signed amount", () => {
    expect(csvCell("=HYPERLINK(\"http://evil\")")).toBe("\"'=HYPERLINK(\"\"http://evil\"\")\"");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvCell("+44 7723 456123")).toBe("+44 7723 456123");
    expect(csvCell("-1200")).toBe("-1200");
    expect(csvCell(-1200)).toBe("-1200");
  });
});

describe("flattening a record for CSV", () => {
  it("makes dotted columns of nested objects, joins plain lists and keeps lists of objects as JSON", () => {
    expect(flattenRecord({ a: 1, address: { line1: "x", city: "y" }, tags: ["p", "q"], items: [{ k: 1 }], none: null, when: at })).toEqual({
      a: 1,
      "address.line1": "x",
      "address.city": "y",
      tags: "p; q",
      items: '[{"k":1}]',
      when: "2026-03-04T05:06:07.000Z",
    });
  });
});

describe("toCsv", () => {
  it("writes a byte-order mark, a header from the documented fields (nested ones expanded) and CRLF rows", () => {
    const csv = toCsv(
      people.fields.map((f) => f.name),
      people.records,
    );
    expect(csv.startsWith("\uFEFF")).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines[0]).toBe("name,address.line1,address.city,address.postcode,createdAt");
    expect(lines[1]).toBe('"Zoë ""Zo"" Brontë, Esq.",3 Parsonage Row,Haworth,BD22 8DR,2026-03-04T05:06:07.000Z');
    expect(lines[2]).toBe("");
    expect(lines).toHaveLength(3);
  });

  it("gives an empty set its header, and a column to a field that is empty in one row but set in another", () => {
    expect(toCsv(["kind", "value"], [])).toBe("\uFEFFkind,value\r\n");
    const csv = toCsv(["a", "b"], [{ a: "1" }, { a: "2", b: "x", extra: "e" }]);
    expect(csv.slice(1).split("\r\n").slice(0, 3)).toEqual(["a,b,extra", "1,,", "2,x,e"]);
  });
});

describe("a data set's files", () => {
  it("are a JSON document with its records (times in ISO 8601) and the CSV of the same records", () => {
    const [json, csv] = dataSetFiles(people, at);
    expect(json!.name).toBe("profile.json");
    expect(csv!.name).toBe("profile.csv");
    expect(json!.records).toBe(1);
    const parsed = JSON.parse(json!.content);
    expect(parsed).toMatchObject({ dataSet: "profile", title: "Your profile", generatedAt: at.toISOString(), recordCount: 1 });
    expect(parsed.records[0]).toEqual({ name: 'Zoë "Zo" Brontë, Esq.', address: { line1: "3 Parsonage Row", city: "Haworth", postcode: "BD22 8DR" }, createdAt: at.toISOString() });
    expect(csv!.content).toContain("BD22 8DR");
  });

  it("refuses a key that is not a plain file name", () => {
    expect(() => dataSetFiles({ ...people, key: "../etc/passwd" }, at)).toThrow("not a data-set key");
  });

  it("are documented in schema.json with every field", () => {
    const schema = schemaDocument([people], at);
    expect(schema.dataSets).toEqual([{ name: "profile", title: "Your profile", description: "Who you are", files: ["profile.json", "profile.csv"], records: 1, fields: people.fields }]);
    expect(schema.format).toContain("ISO 8601");
  });
});

describe("the zip", () => {
  it("holds the documents, each set's JSON and CSV and schema.json, with a manifest, a SHA-256 and a size that match", () => {
    const built = assemblePackage({ documents: [{ name: "README.txt", content: "Read me" }], sets: [people, { ...people, key: "empty-set", records: [] }], generatedAt: at });
    const files = unzipSync(built.zip);
    expect(Object.keys(files).sort()).toEqual(["README.txt", "empty-set.csv", "empty-set.json", "profile.csv", "profile.json", "schema.json"]);
    expect(built.manifest).toEqual([
      { file: "README.txt", records: 1 },
      { file: "profile.json", records: 1 },
      { file: "profile.csv", records: 1 },
      { file: "empty-set.json", records: 0 },
      { file: "empty-set.csv", records: 0 },
      { file: "schema.json", records: 1 },
    ]);
    expect(strFromU8(files["README.txt"]!)).toBe("Read me");
    expect(JSON.parse(strFromU8(files["profile.json"]!)).records[0].name).toBe('Zoë "Zo" Brontë, Esq.');
    expect(JSON.parse(strFromU8(files["schema.json"]!)).dataSets.map((d: { name: string }) => d.name)).toEqual(["profile", "empty-set"]);
    expect(built.sizeBytes).toBe(built.zip.byteLength);
    expect(built.sha256).toBe(createHash("sha256").update(built.zip).digest("hex"));
  });

  it("refuses two files of the same name", () => {
    expect(() =>
      zipFiles(
        [
          { name: "a.json", content: "{}", records: 0 },
          { name: "a.json", content: "{}", records: 0 },
        ],
        at,
      ),
    ).toThrow("two files named a.json");
  });
});
