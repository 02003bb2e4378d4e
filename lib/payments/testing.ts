import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { customers, outboxMessages, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import type { StaffActor } from "@/lib/actor";
import { checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { unseal } from "@/lib/notifications/sealed";

/** Test helpers for the payment flows: a demo customer, and a call in which the caller is strongly verified. */

export async function customerByRef(db: Db, tenantKey: string, ref: string): Promise<Customer> {
  const tenantId = await tenantIdByKey(db, tenantKey);
  const [row] = await db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
  if (!row) throw new Error(`no customer ${ref}`);
  return row;
}

/** A new call (ending any the agent still holds with the customer), optionally recorded. */
export async function freshCall(db: Db, agent: StaffActor, customer: Customer, recordingRef?: string): Promise<Interaction> {
  const open = await openCallWith(db, agent, customer);
  if (open) await endCall(db, agent, { interactionId: open.id, disposition: "resolved", summary: "Done." });
  return startCall(db, agent, { customerId: customer.id, recordingRef });
}

/** Strong verification the way the desk does it: the code read from the sealed outbox message, then the date of birth. */
export async function verifyStrongly(db: Db, agent: StaffActor, call: Interaction, dateOfBirth: string): Promise<void> {
  await sendVerificationCode(db, agent, { interactionId: call.id, channel: "sms" });
  const [message] = await db
    .select()
    .from(outboxMessages)
    .where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")))
    .orderBy(desc(outboxMessages.createdAt))
    .limit(1);
  const code = /^(\d{6}) is your /.exec(unseal(message!.body!))?.[1];
  if (!code) throw new Error("no code in the message");
  const codeCheck = await checkVerificationCode(db, agent, { interactionId: call.id, code });
  const dobCheck = await checkKnowledge(db, agent, { interactionId: call.id, kind: "date_of_birth", answer: dateOfBirth });
  if (!codeCheck.match || dobCheck.level !== "strong") throw new Error("the caller was not verified strongly");
}

/** Basic only: the date of birth. */
export async function verifyBasic(db: Db, agent: StaffActor, call: Interaction, dateOfBirth: string): Promise<void> {
  const check = await checkKnowledge(db, agent, { interactionId: call.id, kind: "date_of_birth", answer: dateOfBirth });
  if (check.level !== "basic") throw new Error("expected basic verification");
}
