import { apiRoute } from "@/lib/api/handler";
import { findCustomerByRef, putCustomer } from "@/lib/customers/customers";
import { customerRecord } from "@/lib/customers/record";
import type { CustomerInput } from "@/lib/customers/schema";
import { NotFoundError, ValidationError } from "@/lib/errors";

type Params = { ref: string };

export const GET = apiRoute<Params>({ scope: "customers:read" }, async ({ db, actor, params }) => {
  const customer = await findCustomerByRef(db, actor, actor.tenantId, params.ref);
  if (!customer) throw new NotFoundError(`No customer with ref '${params.ref}'.`);
  return { status: 200, body: customerRecord(customer) };
});

export const PUT = apiRoute<Params>({ scope: "customers:write", write: true }, async ({ db, actor, params, body }) => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw ValidationError.field("(body)", "must be a JSON object");
  }
  const { created, customer } = await putCustomer(db, actor, actor.tenantId, params.ref, body as CustomerInput);
  return { status: created ? 201 : 200, body: { ref: customer.ref, id: customer.id, version: customer.version } };
});
