import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customers, outboxMessages, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { changeCustomerStatus, revealField, updateProfile } from "@/lib/customers/profile";
import { resetMultiFactor } from "@/lib/identity/security-settings";
import { VerificationRequiredError, checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { unseal } from "@/lib/notifications/sealed";
import { endCall, startCall } from "./interactions";

describe("call wrap-up", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let acmeId: string;

  async function customerByRef(ref: string): Promise<Customer> {
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, ref)));
    return row!;
  }
  const confirmationsOf = (interactionId: string) =>
    t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, interactionId), eq(outboxMessages.template, "call.confirmation")));

  async function verify(call: Interaction, customer: Customer, level: "basic" | "strong") {
    if (level === "strong") {
      await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" });
      const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")));
      const code = /^(\d{6}) /.exec(unseal(message!.body!))![1]!;
      await checkVerificationCode(t.db, agent, { interactionId: call.id, code });
    }
    expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: customer.dateOfBirth! })).toMatchObject({ match: true, level });
  }

  const end = (call: Interaction) => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Caller's requests handled." });

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
  });
  afterAll(() => t?.close());

  it("lists the name and phone changes in words, and sends the customer that list", async () => {
    let ann = await customerByRef("ACME-0001");
    const call = await startCall(t.db, agent, { customerId: ann.id });
    await verify(call, ann, "strong");
    ann = await updateProfile(t.db, agent, { interactionId: call.id, customerId: ann.id, version: ann.version, name: "Ann Jones" });
    await revealField(t.db, agent, { interactionId: call.id, customerId: ann.id, field: "email" });
    await updateProfile(t.db, agent, { interactionId: call.id, customerId: ann.id, version: ann.version, phone: "07400 555222" });

    const ended = await end(call);
    expect(ended.changes).toEqual(["Updated your name", "Updated your phone number"]);

    const confirmations = await confirmationsOf(call.id);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]).toMatchObject({
      tenantId: acmeId,
      customerId: ann.id,
      channel: "email",
      recipient: "ann.smith@example.com",
      subject: "Summary of your call with Acme Energy",
      sensitive: false,
    });
    const body = confirmations[0]!.body!;
    expect(body).toContain("We made these changes:\n- Updated your name\n- Updated your phone number\n");
    // The summary says what changed, not the new values.
    expect(body).not.toMatch(/Jones|7400555222|555222/);
  });

  it("lists security and status changes as well, in the order they were made", async () => {
    const zoe = await customerByRef("ACME-0002");
    const call = await startCall(t.db, agent, { customerId: zoe.id });
    await verify(call, zoe, "strong");
    await resetMultiFactor(t.db, agent, { interactionId: call.id, customerId: zoe.id });
    const input = { interactionId: call.id, customerId: zoe.id, status: "inactive" as const, reason: "Asked to pause the account" };
    await changeCustomerStatus(t.db, agent, input);
    await changeCustomerStatus(t.db, agent, { ...input, status: "active", reason: "Changed her mind" });

    const ended = await end(call);
    expect(ended.changes).toEqual(["Reset your two-step verification", "Marked your account inactive", "Reactivated your account"]);
    const [confirmation] = await confirmationsOf(call.id);
    expect(confirmation!.body).toContain("- Reset your two-step verification\n- Marked your account inactive\n- Reactivated your account");
  });

  it("returns no changes, and sends nothing, for a call in which nothing was changed", async () => {
    const siobhan = await customerByRef("ACME-0003");
    const call = await startCall(t.db, agent, { customerId: siobhan.id });
    await verify(call, siobhan, "basic");
    // A reveal and a refused change are not changes.
    await revealField(t.db, agent, { interactionId: call.id, customerId: siobhan.id, field: "phone" });
    await expect(updateProfile(t.db, agent, { interactionId: call.id, customerId: siobhan.id, version: siobhan.version, phone: "07400 555222" })).rejects.toThrow(
      VerificationRequiredError,
    );

    const ended = await end(call);
    expect(ended.changes).toEqual([]);
    expect(await confirmationsOf(call.id)).toEqual([]);
    const all = await t.db.select().from(outboxMessages).where(eq(outboxMessages.interactionId, call.id));
    expect(all).toEqual([]);
  });

  it("confirms by SMS to a customer with no email on file", async () => {
    await t.db.update(customers).set({ email: null }).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0004")));
    const mo = await customerByRef("ACME-0004");
    const call = await startCall(t.db, agent, { customerId: mo.id });
    await verify(call, mo, "basic");
    await updateProfile(t.db, agent, { interactionId: call.id, customerId: mo.id, version: mo.version, language: "cy" });

    const ended = await end(call);
    expect(ended.changes).toEqual(["Updated your preferred language"]);
    const [confirmation] = await confirmationsOf(call.id);
    expect(confirmation).toMatchObject({ channel: "sms", recipient: mo.phone });
  });
});
