"use server";

import { staffAction } from "@/lib/action";
import { customerSearchSchema, searchCustomers } from "@/lib/customers/search";

export const searchCustomersAction = staffAction(
  { roles: ["agent", "supervisor", "admin"], schema: customerSearchSchema },
  (input, actor, db) => searchCustomers(db, actor, input.q),
);
