import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customers, interactions, paymentMethods, recordingPauses, type Customer, type Interaction, type PaymentMethod, type PostalAddress, type RecordingPause } from "@/db/schema";
import { assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { maskAddress } from "@/lib/customers/masking";
import { postalAddressSchema } from "@/lib/customers/schema";
import { ConflictError, NotFoundError, ValidationError, fieldErrorsFromZod, type FieldError } from "@/lib/errors";
import { requireVerification } from "@/lib/identity/verification";
import { heldCall } from "@/lib/interactions/interactions";
import { paymentMethodChangedNotice } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { checkIban, checkUsAccount } from "./bank-accounts";
import { refuseCardData } from "./card-numbers";
import { BRAND_NAMES, checkCard, type CardBrand } from "./cards";
import { vaultFromEnv, type PaymentVault, type Tokenized, type VaultInput } from "./vault";
import { closePause, openPause } from "./recording-pauses";

/**
 * A customer's payment methods, changed during a call with a strongly verified caller (RULES.md G4).
 * Card numbers, security codes and account numbers are checked, handed to the vault's `tokenize`, and
 * go nowhere else: not the database, the audit, the outbox, an error or a log (F1–F4). Card details
 * are only taken while the call's recording is paused, and the recording resumes once the card is
 * saved (F5). Each change is audited masked and confirmed to the customer's contact on file (G5).
 */

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
/** A typed text field: optional, bounded, and never holding card data (F6). */
const optionalText = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max, `must be at most ${max} characters`).superRefine(refuseCardData).optional());

const inCall = { interactionId: z.uuid("Unknown call"), customerId: z.uuid("Unknown customer") };

/** Billing address, all optional on an add; when any part is typed the whole must be valid. */
const billingFields = {
  billingLine1: optionalText(200),
  billingLine2: optionalText(200),
  billingCity: optionalText(100),
  billingRegion: optionalText(100),
  billingPostcode: optionalText(20),
  billingCountry: optionalText(2),
};
const BILLING_PARTS = ["billingLine1", "billingLine2", "billingCity", "billingRegion", "billingPostcode", "billingCountry"] as const;
type BillingInput = { [K in (typeof BILLING_PARTS)[number]]?: string };

const holderName = z.preprocess(blankToUndefined, z.string().trim().max(200, "must be at most 200 characters").superRefine(refuseCardData).optional());

/** The raw card fields: their shape only. The checks (Luhn, expiry…) run in addCard, with the clock. */
export const addCardSchema = z.object({
  ...inCall,
  cardNumber: z.string("Type the card number").max(40, "The card number is too long: check the digits"),
  expiry: z.string("Type the expiry date (MM/YY)").max(10, "Type the expiry date as on the card: MM/YY"),
  securityCode: z.string("Type the security code").max(8, "The security code is 3 or 4 digits"),
  holderName,
  ...billingFields,
});

export const addBankAccountSchema = z.object({
  ...inCall,
  scheme: z.enum(["iban", "us_ach"], "Choose IBAN or US account"),
  iban: z.preprocess(blankToUndefined, z.string().max(50, "The IBAN is too long: check the characters").optional()),
  routingNumber: z.preprocess(blankToUndefined, z.string().max(20, "A routing number has 9 digits").optional()),
  accountNumber: z.preprocess(blankToUndefined, z.string().max(30, "An account number has 4 to 17 digits").optional()),
  holderName,
  ...billingFields,
});

export const paymentMethodSchema = z.object({ ...inCall, paymentMethodId: z.uuid("Unknown payment method") });

export const billingAddressSchema = z.object({ ...inCall, paymentMethodId: z.uuid("Unknown payment method"), ...billingFields });

export const recordingPauseSchema = z.object({
  ...inCall,
  reason: z.preprocess(blankToUndefined, z.string().trim().min(3, "Give the reason").max(200, "At most 200 characters").superRefine(refuseCardData).default("Taking card details")),
});

export const recordingResumeSchema = z.object(inCall);

export type AddCardInput = z.output<typeof addCardSchema>;
export type AddBankAccountInput = z.output<typeof addBankAccountSchema>;
type Options = { vault?: PaymentVault; now?: Date };

/** How a method reads to the customer and in the audit: brand and last 4 only. */
export function describeMethod(m: Pick<PaymentMethod, "kind" | "brand" | "last4">): string {
  if (m.kind === "card") return `${BRAND_NAMES[m.brand as CardBrand] ?? m.brand} card ending ${m.last4}`;
  return `${m.brand === "us_ach" ? "US bank account" : "bank account (IBAN)"} ending ${m.last4}`;
}

function masked(m: Pick<PaymentMethod, "kind" | "brand" | "last4" | "expMonth" | "expYear">): Record<string, unknown> {
  return { kind: m.kind, brand: m.brand, last4: m.last4, ...(m.expMonth ? { expiry: `${String(m.expMonth).padStart(2, "0")}/${m.expYear}` } : {}) };
}

function billingFrom(input: BillingInput, defaultCountry: string | undefined, required: boolean): { address: PostalAddress | null; errors: FieldError[] } {
  if (!required && !BILLING_PARTS.some((p) => input[p] !== undefined)) return { address: null, errors: [] };
  const parsed = postalAddressSchema.safeParse({
    line1: input.billingLine1,
    line2: input.billingLine2 ?? null,
    city: input.billingCity,
    region: input.billingRegion ?? null,
    postcode: input.billingPostcode,
    country: input.billingCountry ?? defaultCountry,
  });
  if (parsed.success) return { address: parsed.data, errors: [] };
  const field = (path: string) => `billing${path.charAt(0).toUpperCase()}${path.slice(1)}`;
  return { address: null, errors: fieldErrorsFromZod(parsed.error.issues).map((e) => ({ path: field(e.path), message: e.message })) };
}

/** The verified call, the customer (locked: adds and defaults for one customer happen one at a time). */
async function paymentChange(tx: Db, actor: Actor, input: { interactionId: string; customerId: string }, now: Date) {
  const { call, verification, level } = await requireVerification(tx, actor, input.interactionId, input.customerId, "change_payment_details", now);
  const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId))).for("update");
  if (!customer) throw new NotFoundError("No such customer");
  if (customer.status !== "active") throw new ConflictError(`This customer is ${customer.status}; reactivate them before changing payment details.`);
  return { call, customer, reason: `caller verified (${level}), verification ${verification.id}` };
}

async function notifyCustomer(tx: Db, call: Interaction, template: string, what: string, now: Date): Promise<void> {
  const contact = await customerContact(tx, call.tenantId, call.customerId);
  if (!contact?.route) return;
  const notice = paymentMethodChangedNotice(contact.tenantName, what, now);
  await enqueueMessage(tx, { tenantId: call.tenantId, channel: contact.route.channel, template, recipient: contact.route.to, subject: notice.subject, body: notice.body, customerId: call.customerId, interactionId: call.id }, now);
}

async function currentMethod(tx: Db, call: Interaction, id: string): Promise<PaymentMethod> {
  const [method] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.customerId, call.customerId), eq(paymentMethods.id, id), isNull(paymentMethods.removedAt)))
    .for("update");
  if (!method) throw new NotFoundError("No such payment method");
  return method;
}

/**
 * Stores what the vault answered, refusing a card or account already on file (same fingerprint).
 * The first method a customer has becomes the default.
 */
async function storeTokenized(tx: Db, vault: PaymentVault, actor: Actor, call: Interaction, customer: Customer, tokenized: Tokenized, extra: { holderName: string | null; billingAddress: PostalAddress | null; numberField: string }, reason: string, now: Date): Promise<PaymentMethod> {
  const current = await tx.select().from(paymentMethods).where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.customerId, customer.id), isNull(paymentMethods.removedAt)));
  const same = current.find((m) => tokenized.fingerprints.includes(m.fingerprint));
  if (same) {
    await vault.remove(tx, call.tenantId, tokenized.token, now); // a processor keeps tokens until told
    throw ValidationError.field(extra.numberField, `This ${same.kind === "card" ? "card" : "account"} is already on file (${describeMethod(same)})`);
  }
  const [method] = await tx
    .insert(paymentMethods)
    .values({
      tenantId: call.tenantId,
      customerId: customer.id,
      kind: tokenized.kind,
      vaultToken: tokenized.token,
      fingerprint: tokenized.fingerprint,
      brand: tokenized.brand,
      last4: tokenized.last4,
      expMonth: tokenized.expMonth ?? null,
      expYear: tokenized.expYear ?? null,
      holderName: extra.holderName,
      billingAddress: extra.billingAddress,
      isDefault: !current.some((m) => m.isDefault),
      addedInInteractionId: call.id,
      createdAt: now,
    })
    .returning();
  await recordAudit(tx, actor, {
    tenantId: call.tenantId,
    action: "payment_method.added",
    entityType: "payment_method",
    entityId: method!.id,
    customerId: customer.id,
    interactionId: call.id,
    after: { ...masked(method!), isDefault: method!.isDefault, billingTown: maskAddress(extra.billingAddress) },
    reason,
  });
  await notifyCustomer(tx, call, "payment_method.added", `a ${describeMethod(method!)} was added to your account`, now);
  return method!;
}

/**
 * Adds a card. Refused without strong verification, and, on a recorded call, unless the recording is
 * paused; once saved, the recording resumes by itself. The security code is checked and handed to
 * the vault, nothing else.
 */
export async function addCard(db: Db, actor: Actor, input: AddCardInput, { vault = vaultFromEnv(), now = new Date() }: Options = {}): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    const { call, customer, reason } = await paymentChange(tx, actor, input, now);
    const pause = await openPause(tx, call);
    if (call.recordingRef && !pause) throw new ConflictError("Pause the call recording before taking card details: the recording must not hear them.");
    const card = checkCard(input, now);
    const billing = billingFrom(input, customer.address?.country, false);
    const errors = [...(card.ok ? [] : card.errors), ...billing.errors];
    if (errors.length) throw new ValidationError(errors, "The card was not saved: see the highlighted fields.");
    const tokenized = await vault.tokenize(tx, call.tenantId, { kind: "card", cardNumber: input.cardNumber, expiry: input.expiry, securityCode: input.securityCode }, now);
    const method = await storeTokenized(tx, vault, actor, call, customer, tokenized, { holderName: input.holderName ?? null, billingAddress: billing.address, numberField: "cardNumber" }, reason, now);
    if (pause) await closePause(tx, actor, call, pause, "card details saved: resumed automatically", now);
    return method;
  });
}

/** Adds a bank account: an IBAN, or a US routing and account number. */
export async function addBankAccount(db: Db, actor: Actor, input: AddBankAccountInput, { vault = vaultFromEnv(), now = new Date() }: Options = {}): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    const { call, customer, reason } = await paymentChange(tx, actor, input, now);
    const errors: FieldError[] = [];
    let account: VaultInput;
    if (input.scheme === "iban") {
      const checked = checkIban(input.iban ?? "");
      if (!checked.ok) errors.push({ path: "iban", message: checked.message });
      account = { kind: "bank_account", scheme: "iban", iban: input.iban ?? "" };
    } else {
      const checked = checkUsAccount(input.routingNumber ?? "", input.accountNumber ?? "");
      if (!checked.ok) errors.push(...checked.errors);
      account = { kind: "bank_account", scheme: "us_ach", routingNumber: input.routingNumber ?? "", accountNumber: input.accountNumber ?? "" };
    }
    const billing = billingFrom(input, customer.address?.country, false);
    errors.push(...billing.errors);
    if (errors.length) throw new ValidationError(errors, "The bank account was not saved: see the highlighted fields.");
    const tokenized = await vault.tokenize(tx, call.tenantId, account, now);
    return storeTokenized(tx, vault, actor, call, customer, tokenized, { holderName: input.holderName ?? null, billingAddress: billing.address, numberField: input.scheme === "iban" ? "iban" : "accountNumber" }, reason, now);
  });
}

/** Makes one current method the default; the partial unique index holds one default per customer. */
export async function setDefaultPaymentMethod(db: Db, actor: Actor, input: z.output<typeof paymentMethodSchema>, now = new Date()): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    const { call, customer, reason } = await paymentChange(tx, actor, input, now);
    const method = await currentMethod(tx, call, input.paymentMethodId);
    if (method.isDefault) return method;
    const [previous] = await tx
      .update(paymentMethods)
      .set({ isDefault: false })
      .where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.customerId, customer.id), eq(paymentMethods.isDefault, true), isNull(paymentMethods.removedAt)))
      .returning();
    const [updated] = await tx
      .update(paymentMethods)
      .set({ isDefault: true })
      .where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.id, method.id)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "payment_method.default_set",
      entityType: "payment_method",
      entityId: method.id,
      customerId: customer.id,
      interactionId: call.id,
      before: previous ? { default: masked(previous) } : null,
      after: { default: masked(updated!) },
      reason,
    });
    await notifyCustomer(tx, call, "payment_method.default_set", `your ${describeMethod(updated!)} was made your default payment method`, now);
    return updated!;
  });
}

/** Removes a method, and its token from the vault. No other method becomes the default by itself. */
export async function removePaymentMethod(db: Db, actor: Actor, input: z.output<typeof paymentMethodSchema>, { vault = vaultFromEnv(), now = new Date() }: Options = {}): Promise<void> {
  await db.transaction(async (tx) => {
    const { call, customer, reason } = await paymentChange(tx, actor, input, now);
    const method = await currentMethod(tx, call, input.paymentMethodId);
    await tx.update(paymentMethods).set({ removedAt: now, isDefault: false }).where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.id, method.id)));
    await vault.remove(tx, call.tenantId, method.vaultToken, now);
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "payment_method.removed",
      entityType: "payment_method",
      entityId: method.id,
      customerId: customer.id,
      interactionId: call.id,
      before: { ...masked(method), isDefault: method.isDefault },
      after: { ...masked(method), removed: true },
      reason,
    });
    await notifyCustomer(tx, call, "payment_method.removed", `your ${describeMethod(method)} was removed from your account`, now);
  });
}

/** Changes a method's billing address (all of it: line 1, town, postcode and country are needed). */
export async function changeBillingAddress(db: Db, actor: Actor, input: z.output<typeof billingAddressSchema>, now = new Date()): Promise<PaymentMethod> {
  return db.transaction(async (tx) => {
    const { call, customer, reason } = await paymentChange(tx, actor, input, now);
    const method = await currentMethod(tx, call, input.paymentMethodId);
    const billing = billingFrom(input, customer.address?.country, true);
    if (billing.errors.length) throw new ValidationError(billing.errors, "The billing address was not saved: see the highlighted fields.");
    const [updated] = await tx
      .update(paymentMethods)
      .set({ billingAddress: billing.address })
      .where(and(eq(paymentMethods.tenantId, call.tenantId), eq(paymentMethods.id, method.id)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "payment_method.billing_address_changed",
      entityType: "payment_method",
      entityId: method.id,
      customerId: customer.id,
      interactionId: call.id,
      before: { ...masked(method), billingTown: maskAddress(method.billingAddress) },
      after: { ...masked(updated!), billingTown: maskAddress(updated!.billingAddress) },
      reason,
    });
    await notifyCustomer(tx, call, "payment_method.billing_address_changed", `the billing address of your ${describeMethod(updated!)} was changed`, now);
    return updated!;
  });
}

/** The call this agent holds with this customer, locked so that pauses and resumes happen one at a time. */
async function lockedCall(tx: Db, actor: Actor, input: { interactionId: string; customerId: string }): Promise<Interaction> {
  const held = await heldCall(tx, actor, input.interactionId);
  if (held.customerId !== input.customerId) throw new ConflictError("This call is with another customer.");
  const [call] = await tx.select().from(interactions).where(and(eq(interactions.tenantId, held.tenantId), eq(interactions.id, held.id))).for("update");
  return call!;
}

/**
 * Pauses the call's recording while card details are taken (F5). Pausing twice keeps the one open
 * pause; a call with no recording has nothing to pause.
 */
export async function pauseRecording(db: Db, actor: Actor, input: z.output<typeof recordingPauseSchema>, now = new Date()): Promise<RecordingPause> {
  return db.transaction(async (tx) => {
    const call = await lockedCall(tx, actor, input);
    if (!call.recordingRef) throw new ConflictError("This call is not recorded: there is nothing to pause.");
    const open = await openPause(tx, call);
    if (open) return open;
    if (actor.type !== "staff") throw new NotFoundError("No such call");
    const [pause] = await tx.insert(recordingPauses).values({ tenantId: call.tenantId, interactionId: call.id, reason: input.reason, pausedAt: now, pausedBy: actor.id }).returning();
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "recording.paused",
      entityType: "recording_pause",
      entityId: pause!.id,
      customerId: call.customerId,
      interactionId: call.id,
      after: { recordingRef: call.recordingRef, pausedAt: now.toISOString() },
      reason: input.reason,
    });
    return pause!;
  });
}

/** Resumes a paused recording: what the agent does when no card is saved after all. */
export async function resumeRecording(db: Db, actor: Actor, input: z.output<typeof recordingResumeSchema>, now = new Date()): Promise<void> {
  await db.transaction(async (tx) => {
    const call = await lockedCall(tx, actor, input);
    const open = await openPause(tx, call);
    if (!open) throw new ConflictError("The recording is not paused.");
    await closePause(tx, actor, call, open, "resumed by the agent", now);
  });
}

export type RecordingState = { recorded: boolean; pausedSince: Date | null };

export async function recordingState(db: Db, actor: Actor, interactionId: string): Promise<RecordingState> {
  const call = await heldCall(db, actor, interactionId);
  const open = await openPause(db, call);
  return { recorded: Boolean(call.recordingRef), pausedSince: open?.pausedAt ?? null };
}

/** What the customer page shows of a method: never more than brand and last 4 (F3). */
export type PaymentMethodView = {
  id: string;
  kind: "card" | "bank_account";
  label: string;
  last4: string;
  expiry: string | null;
  isDefault: boolean;
  billingTown: string | null;
};

export async function paymentMethodsOf(db: Db, actor: Actor, customer: Pick<Customer, "tenantId" | "id">): Promise<PaymentMethodView[]> {
  assertTenantAccess(actor, customer.tenantId);
  const rows = await db
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, customer.tenantId), eq(paymentMethods.customerId, customer.id), isNull(paymentMethods.removedAt)))
    .orderBy(desc(paymentMethods.isDefault), desc(paymentMethods.createdAt));
  return rows.map((m) => ({
    id: m.id,
    kind: m.kind,
    label: m.kind === "card" ? (BRAND_NAMES[m.brand as CardBrand] ?? m.brand) : m.brand === "us_ach" ? "US bank account" : "Bank account (IBAN)",
    last4: m.last4,
    expiry: m.expMonth && m.expYear ? `${String(m.expMonth).padStart(2, "0")}/${String(m.expYear).slice(-2)}` : null,
    isDefault: m.isDefault,
    billingTown: maskAddress(m.billingAddress),
  }));
}
