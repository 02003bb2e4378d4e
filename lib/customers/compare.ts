import type { PostalAddress } from "@/db/schema";

type FieldValue = string | PostalAddress | null | undefined;

/** Whether two values of a customer field are the same. jsonb does not keep key order, so an address is compared part by part. */
export function sameFieldValue(a: FieldValue, b: FieldValue): boolean {
  return comparable(a) === comparable(b);
}

function comparable(value: FieldValue): string {
  if (value && typeof value === "object") {
    const { line1, line2, city, region, postcode, country } = value;
    return JSON.stringify([line1, line2 ?? null, city, region ?? null, postcode, country]);
  }
  return JSON.stringify(value ?? null);
}
