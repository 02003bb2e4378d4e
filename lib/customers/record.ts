import type { Customer } from "@/db/schema";

/** The customer as the public API shows it. An erased customer keeps only its reference and id. */
export function customerRecord(c: Customer) {
  const erased = c.status === "erased";
  return {
    ref: c.ref,
    id: c.id,
    name: erased ? null : c.name,
    email: erased ? null : c.email,
    phone: erased ? null : c.phone,
    address: erased || !c.address ? null : { line2: null, region: null, ...c.address },
    dateOfBirth: erased ? null : c.dateOfBirth,
    language: erased ? null : c.language,
    status: c.status,
    version: c.version,
  };
}
