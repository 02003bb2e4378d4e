"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import {
  addAddOn,
  addOnSchema,
  cancelSchema,
  cancelSubscription,
  changePlan,
  changePlanSchema,
  pauseSchema,
  pauseSubscription,
  removeAddOn,
  resumeSchema,
  resumeSubscription,
  switchCycle,
  switchCycleSchema,
  type SubscriptionChangeOutcome,
} from "@/lib/subscriptions/subscriptions";
import { subscriptionChangeParts } from "@/lib/subscriptions/words";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;

/** What the agent reads back to the customer: the same words the customer's confirmation uses. */
async function confirmed(run: () => Promise<SubscriptionChangeOutcome>) {
  try {
    const { change } = await run();
    const { what, from, price } = subscriptionChangeParts(change, new Date());
    return { message: `${what}, ${from}. Price: ${price}. A confirmation has been sent to the customer.` };
  } finally {
    // On success, and on a stale change too: the page must show the current version and state.
    revalidatePath("/customers/[id]", "page");
  }
}

export const changePlanAction = staffAction({ roles: CALL_HANDLERS, schema: changePlanSchema }, (input, actor, db) => confirmed(() => changePlan(db, actor, input)));
export const switchCycleAction = staffAction({ roles: CALL_HANDLERS, schema: switchCycleSchema }, (input, actor, db) => confirmed(() => switchCycle(db, actor, input)));
export const addAddOnAction = staffAction({ roles: CALL_HANDLERS, schema: addOnSchema }, (input, actor, db) => confirmed(() => addAddOn(db, actor, input)));
export const removeAddOnAction = staffAction({ roles: CALL_HANDLERS, schema: addOnSchema }, (input, actor, db) => confirmed(() => removeAddOn(db, actor, input)));
export const pauseSubscriptionAction = staffAction({ roles: CALL_HANDLERS, schema: pauseSchema }, (input, actor, db) => confirmed(() => pauseSubscription(db, actor, input)));
export const resumeSubscriptionAction = staffAction({ roles: CALL_HANDLERS, schema: resumeSchema }, (input, actor, db) => confirmed(() => resumeSubscription(db, actor, input)));
export const cancelSubscriptionAction = staffAction({ roles: CALL_HANDLERS, schema: cancelSchema }, (input, actor, db) => confirmed(() => cancelSubscription(db, actor, input)));
