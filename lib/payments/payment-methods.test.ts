import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxMessages, paymentMethods, recordingPauses, vaultTokens, type Customer } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { VerificationRequiredError } from "@/lib/identity/verification";
import { endCall } from "@/lib/interactions/interactions";
import { CARD_NUMBER_INVALID } from "./cards";
import {
  addBankAccount,
  addCard,
  addCardSchema,
  changeBillingAddress,
  paymentMethodsOf,
  pauseRecording,
  recordingPauseSchema,
  recordingState,
  removePaymentMethod,
  resumeRecording,
  setDefaultPaymentMethod,
} from "./payment-methods";
import { customerByRef, freshCall, verifyBasic, verifyStrongly } from "./testing";
import { localVault, type PaymentVault } from "./vault";

const ANN_DOB = "1984-03-12";
const VISA = "4242 4242 4242 4242";
const MASTERCARD = "2223 0000 4841 0010";

describe("payment methods during a call", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let agentAcme: StaffActor;
  let ann: Customer;

  const methodsOf = (c: Customer) => t.db.select().from(paymentMethods).where(and(eq(paymentMethods.tenantId, c.tenantId), eq(paymentMethods.customerId, c.id)));
  const auditOf = (interactionId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, interactionId)).orderBy(auditEvents.at);
  const noticesOf = (interactionId: string) => t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, interactionId), sql`${outboxMessages.template} like 'payment_method.%'`)).orderBy(outboxMessages.createdAt);
  const card = (interactionId: string, customerId: string, over: Record<string, string> = {}) =>
    addCardSchema.parse({ interactionId, customerId, cardNumber: VISA, expiry: "12/30", securityCode: "123", holderName: "Ann Smith", ...over });

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    ann = await customerByRef(t.db, "acme", "ACME-0001");
  });
  afterAll(() => t?.close());

  it("is refused in the domain without strong verification: none, then basic", async () => {
    const call = await freshCall(t.db, agent, ann);
    const input = card(call.id, ann.id);
    const tokens = (await t.db.select().from(vaultTokens)).length;
    await expect(addCard(t.db, agent, input)).rejects.toBeInstanceOf(VerificationRequiredError);
    await verifyBasic(t.db, agent, call, ANN_DOB);
    await expect(addCard(t.db, agent, input)).rejects.toThrow("Strong verification of the caller is needed to change payment details.");
    await expect(addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "iban", iban: "GB82 WEST 1234 5698 7654 32" })).rejects.toBeInstanceOf(VerificationRequiredError);
    expect(await methodsOf(ann)).toEqual([]);
    expect((await t.db.select().from(vaultTokens)).length).toBe(tokens);
  });

  it("on a recorded call, takes a card only while the recording is paused, and resumes it once the card is saved", async () => {
    const call = await freshCall(t.db, agent, ann, "REC-PAY-0001");
    await verifyStrongly(t.db, agent, call, ANN_DOB);
    const refused = await addCard(t.db, agent, card(call.id, ann.id)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toBe("Pause the call recording before taking card details: the recording must not hear them.");

    const pause = await pauseRecording(t.db, agent, recordingPauseSchema.parse({ interactionId: call.id, customerId: ann.id }));
    expect(pause).toMatchObject({ interactionId: call.id, reason: "Taking card details", resumedAt: null, pausedBy: agent.id });
    // A second click keeps the one open pause.
    expect((await pauseRecording(t.db, agent, { interactionId: call.id, customerId: ann.id, reason: "again" })).id).toBe(pause.id);
    expect(await recordingState(t.db, agent, call.id)).toEqual({ recorded: true, pausedSince: pause.pausedAt });

    const method = await addCard(t.db, agent, card(call.id, ann.id));
    expect(method).toMatchObject({ kind: "card", brand: "visa", last4: "4242", expMonth: 12, expYear: 2030, isDefault: true, holderName: "Ann Smith", addedInInteractionId: call.id });
    expect(method.vaultToken).toMatch(/^tok_/);
    expect(await recordingState(t.db, agent, call.id)).toEqual({ recorded: true, pausedSince: null });
    const pauses = await t.db.select().from(recordingPauses).where(eq(recordingPauses.interactionId, call.id));
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.resumedAt).not.toBeNull();

    const audit = (await auditOf(call.id)).map((e) => [e.action, e.after, e.reason]);
    expect(audit).toContainEqual(["recording.paused", expect.objectContaining({ recordingRef: "REC-PAY-0001" }), "Taking card details"]);
    expect(audit).toContainEqual(["payment_method.added", { kind: "card", brand: "visa", last4: "4242", expiry: "12/2030", isDefault: true, billingTown: null }, expect.stringMatching(/^caller verified \(strong\)/)]);
    expect(audit).toContainEqual(["recording.resumed", expect.objectContaining({ recordingRef: "REC-PAY-0001" }), "card details saved: resumed automatically"]);

    const [notice] = await noticesOf(call.id);
    expect(notice).toMatchObject({ channel: "email", recipient: ann.email, template: "payment_method.added", subject: "Payment details changed on your Acme Energy account" });
    expect(notice!.body).toContain("a Visa card ending 4242 was added to your account");
    expect(notice!.body).toContain("If this wasn't you");

    // Explicit resume with nothing paused is refused; pause then resume explicitly is audited.
    await expect(resumeRecording(t.db, agent, { interactionId: call.id, customerId: ann.id })).rejects.toThrow("The recording is not paused.");
    await pauseRecording(t.db, agent, { interactionId: call.id, customerId: ann.id, reason: "Taking card details" });
    await resumeRecording(t.db, agent, { interactionId: call.id, customerId: ann.id });
    expect((await auditOf(call.id)).filter((e) => e.action === "recording.resumed").map((e) => e.reason)).toEqual(["card details saved: resumed automatically", "resumed by the agent"]);
  });

  it("a call ended while paused closes its pause, audited", async () => {
    const call = await freshCall(t.db, agent, ann, "REC-PAY-0002");
    const pause = await pauseRecording(t.db, agent, { interactionId: call.id, customerId: ann.id, reason: "Taking card details" });
    const ended = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Customer rang off before reading the card." });
    const [row] = await t.db.select().from(recordingPauses).where(eq(recordingPauses.id, pause.id));
    expect(row!.resumedAt).toEqual(ended.endedAt);
    expect((await auditOf(call.id)).filter((e) => e.action === "recording.resumed").map((e) => e.reason)).toEqual(["the call ended while the recording was paused"]);
  });

  it("cannot pause an unrecorded call, and another agent cannot pause this one", async () => {
    const call = await freshCall(t.db, agent, ann);
    await expect(pauseRecording(t.db, agent, { interactionId: call.id, customerId: ann.id, reason: "Taking card details" })).rejects.toThrow("This call is not recorded: there is nothing to pause.");
    await expect(pauseRecording(t.db, agentAcme, { interactionId: call.id, customerId: ann.id, reason: "Taking card details" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("refuses a bad card per field, a duplicate with a clear message, and writes nothing", async () => {
    const call = await freshCall(t.db, agent, ann);
    await verifyStrongly(t.db, agent, call, ANN_DOB);
    const before = { methods: (await methodsOf(ann)).length, tokens: (await t.db.select().from(vaultTokens)).length };
    const bad = await addCard(t.db, agent, card(call.id, ann.id, { cardNumber: "4242 4242 4242 4241", expiry: "03/25", securityCode: "12", billingLine1: "1 Road" })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(Object.fromEntries((bad as ValidationError).fieldErrors.map((e) => [e.path, e.message]))).toEqual({
      cardNumber: CARD_NUMBER_INVALID,
      expiry: "This card expired in 03/2025",
      securityCode: "The security code is 3 digits (on the back of the card)",
      billingCity: "is required",
      billingPostcode: "is required",
    });
    const duplicate = await addCard(t.db, agent, card(call.id, ann.id, { cardNumber: "4242-4242-4242-4242" })).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(ValidationError);
    expect((duplicate as ValidationError).fieldErrors).toEqual([{ path: "cardNumber", message: "This card is already on file (Visa card ending 4242)" }]);
    expect({ methods: (await methodsOf(ann)).length, tokens: (await t.db.select().from(vaultTokens)).length }).toEqual(before);
    expect((await auditOf(call.id)).filter((e) => e.action.startsWith("payment_method."))).toEqual([]);
    expect(await noticesOf(call.id)).toEqual([]);
  });

  it("nothing is half-written when the vault fails", async () => {
    const call = await freshCall(t.db, agent, ann);
    await verifyStrongly(t.db, agent, call, ANN_DOB);
    const failing: PaymentVault = {
      tokenize: async (tx, tenantId, input, now) => {
        await localVault.tokenize(tx, tenantId, input, now);
        throw new Error("processor unavailable");
      },
      remove: localVault.remove,
    };
    const tokens = (await t.db.select().from(vaultTokens)).length;
    await expect(addCard(t.db, agent, card(call.id, ann.id, { cardNumber: MASTERCARD }), { vault: failing })).rejects.toThrow("processor unavailable");
    expect((await t.db.select().from(vaultTokens)).length).toBe(tokens);
    expect((await methodsOf(ann)).filter((m) => m.last4 === "0010")).toEqual([]);
  });

  it("adds bank accounts, sets the default, changes the billing address and removes, each audited masked and announced", async () => {
    const call = await freshCall(t.db, agent, ann);
    await verifyStrongly(t.db, agent, call, ANN_DOB);
    const badIban = await addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "iban", iban: "GB82 WEST 1234 5698 7654 33" }).catch((e: unknown) => e);
    expect((badIban as ValidationError).fieldErrors).toEqual([{ path: "iban", message: "The IBAN is not valid: check the characters" }]);
    const badUs = await addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "us_ach", routingNumber: "021000022", accountNumber: "12" }).catch((e: unknown) => e);
    expect((badUs as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["routingNumber", "accountNumber"]);

    const iban = await addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "iban", iban: "GB82 WEST 1234 5698 7654 32", holderName: "Ann Smith" });
    expect(iban).toMatchObject({ kind: "bank_account", brand: "iban", last4: "5432", isDefault: false, expMonth: null });
    await expect(addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "iban", iban: "gb82west12345698765432" })).rejects.toThrow(ValidationError);
    const us = await addBankAccount(t.db, agent, { interactionId: call.id, customerId: ann.id, scheme: "us_ach", routingNumber: "021000021", accountNumber: "000123456789" });
    expect(us).toMatchObject({ brand: "us_ach", last4: "6789" });

    const made = await setDefaultPaymentMethod(t.db, agent, { interactionId: call.id, customerId: ann.id, paymentMethodId: iban.id });
    expect(made.isDefault).toBe(true);
    expect((await methodsOf(ann)).filter((m) => m.isDefault && !m.removedAt).map((m) => m.id)).toEqual([iban.id]);

    const billed = await changeBillingAddress(t.db, agent, { interactionId: call.id, customerId: ann.id, paymentMethodId: iban.id, billingLine1: "1 New Street", billingCity: "York", billingPostcode: "YO1 7HH" });
    expect(billed.billingAddress).toEqual({ line1: "1 New Street", line2: null, city: "York", region: null, postcode: "YO1 7HH", country: "GB" });
    const noCity = await changeBillingAddress(t.db, agent, { interactionId: call.id, customerId: ann.id, paymentMethodId: iban.id, billingLine1: "2 Road" }).catch((e: unknown) => e);
    expect((noCity as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["billingCity", "billingPostcode"]);

    await removePaymentMethod(t.db, agent, { interactionId: call.id, customerId: ann.id, paymentMethodId: us.id });
    const [token] = await t.db.select().from(vaultTokens).where(eq(vaultTokens.token, us.vaultToken));
    expect(token!.removedAt).not.toBeNull();
    await expect(removePaymentMethod(t.db, agent, { interactionId: call.id, customerId: ann.id, paymentMethodId: us.id })).rejects.toBeInstanceOf(NotFoundError);

    const audit = (await auditOf(call.id)).filter((e) => e.action.startsWith("payment_method.")).map((e) => [e.action, e.before, e.after]);
    expect(audit).toEqual([
      ["payment_method.added", null, { kind: "bank_account", brand: "iban", last4: "5432", isDefault: false, billingTown: null }],
      ["payment_method.added", null, { kind: "bank_account", brand: "us_ach", last4: "6789", isDefault: false, billingTown: null }],
      ["payment_method.default_set", { default: { kind: "card", brand: "visa", last4: "4242", expiry: "12/2030" } }, { default: { kind: "bank_account", brand: "iban", last4: "5432" } }],
      ["payment_method.billing_address_changed", { kind: "bank_account", brand: "iban", last4: "5432", billingTown: null }, { kind: "bank_account", brand: "iban", last4: "5432", billingTown: "York" }],
      ["payment_method.removed", { kind: "bank_account", brand: "us_ach", last4: "6789", isDefault: false }, { kind: "bank_account", brand: "us_ach", last4: "6789", removed: true }],
    ]);
    expect((await noticesOf(call.id)).map((m) => m.body!.replace(/ on \d{4}-.*UTC/, ""))).toEqual([
      expect.stringContaining("a bank account (IBAN) ending 5432 was added"),
      expect.stringContaining("a US bank account ending 6789 was added"),
      expect.stringContaining("your bank account (IBAN) ending 5432 was made your default payment method"),
      expect.stringContaining("the billing address of your bank account (IBAN) ending 5432 was changed"),
      expect.stringContaining("your US bank account ending 6789 was removed"),
    ]);

    expect(await paymentMethodsOf(t.db, agent, ann)).toEqual([
      { id: iban.id, kind: "bank_account", label: "Bank account (IBAN)", last4: "5432", expiry: null, isDefault: true, billingTown: "York" },
      expect.objectContaining({ kind: "card", label: "Visa", last4: "4242", expiry: "12/30", isDefault: false }),
    ]);

    // The end-of-call summary the customer is sent lists each change, masked.
    const ended = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Bank details updated." });
    expect(ended.changes).toEqual(
      expect.arrayContaining(["Added your bank account ending 5432", "Made your bank account ending 5432 the default payment method", "Removed your US bank account ending 6789"]),
    );
  });

  it("an agent of another tenant sees nothing, and a method of another customer is not found", async () => {
    const john = await customerByRef(t.db, "globex", "GLX-0001");
    await expect(paymentMethodsOf(t.db, agentAcme, john)).rejects.toBeInstanceOf(NotFoundError);
    const call = await freshCall(t.db, agent, john);
    await verifyStrongly(t.db, agent, call, "1979-08-19");
    const [annsCard] = await methodsOf(ann);
    await expect(setDefaultPaymentMethod(t.db, agent, { interactionId: call.id, customerId: john.id, paymentMethodId: annsCard!.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(addCard(t.db, agent, card(call.id, ann.id))).rejects.toThrow("This call is with another customer.");
  });
});
