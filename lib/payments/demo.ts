import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { customers, outboxMessages } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import { checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { unseal } from "@/lib/notifications/sealed";
import { addBankAccount, addCard, addCardSchema, pauseRecording } from "./payment-methods";

export type DemoPaymentMethods = {
  ref: string;
  tenant: string;
  dateOfBirth: string;
  recordingRef: string;
  /** Test numbers only: the vault keeps a token, brand and last 4 of them, nothing more. */
  card: { cardNumber: string; expiry: string; securityCode: string; holderName: string };
  bankAccount: { scheme: "iban"; iban: string } | { scheme: "us_ach"; routingNumber: string; accountNumber: string };
};

/**
 * The demo's cards and bank accounts, added the way an agent adds them on a call: a strongly verified
 * caller (the code read back from the sealed outbox message, then the date of birth), the recording
 * paused for the card, the account after it.
 */
export async function seedDemoPaymentMethods(db: Db, agent: StaffActor, tenantIds: Record<string, string>, demo: readonly DemoPaymentMethods[]): Promise<void> {
  for (const d of demo) {
    const [customer] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantIds[d.tenant]!), eq(customers.ref, d.ref)));
    const call = await startCall(db, agent, { customerId: customer!.id, recordingRef: d.recordingRef });
    const inCall = { interactionId: call.id, customerId: customer!.id };
    await sendVerificationCode(db, agent, { interactionId: call.id, channel: "sms" });
    const [message] = await db
      .select({ body: outboxMessages.body })
      .from(outboxMessages)
      .where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")))
      .orderBy(desc(outboxMessages.createdAt))
      .limit(1);
    const code = /^(\d{6}) /.exec(unseal(message!.body!))![1]!;
    await checkVerificationCode(db, agent, { interactionId: call.id, code });
    await checkKnowledge(db, agent, { interactionId: call.id, kind: "date_of_birth", answer: d.dateOfBirth });
    await pauseRecording(db, agent, { ...inCall, reason: "Taking card details" });
    await addCard(db, agent, addCardSchema.parse({ ...inCall, ...d.card }));
    await addBankAccount(db, agent, { ...inCall, ...d.bankAccount });
    await endCall(db, agent, { interactionId: call.id, disposition: "resolved", summary: "Customer added a card and a bank account for payments." });
  }
}
