import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, interactions } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { callConsentSchema, objectionSchema, revocationSchema } from "@/lib/consent/capture";
import { closeDisputeSchema } from "@/lib/consent/disputes";
import { externalConsentSchema } from "@/lib/consent/record";
import { statusChangeSchema } from "@/lib/customers/profile";
import { ValidationError } from "@/lib/errors";
import { closeAlertSchema } from "@/lib/identity/verification";
import { endCall } from "@/lib/interactions/interactions";
import { CARD_NUMBER_IN_TEXT, SECURITY_CODE_IN_TEXT } from "./card-numbers";
import { billingAddressSchema } from "./payment-methods";
import { customerByRef, freshCall } from "./testing";

const ID = "00000000-0000-4000-8000-000000000001";
const NOTE = "Customer read out 4111 1111 1111 1111 to pay";

/** Every free-text field a person types, with its schema: each must refuse a card number before anything is stored. */
const DOORS: [string, { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, Record<string, unknown>, string][] = [
  ["consent capture: customer's words", callConsentSchema, { interactionId: ID, customerId: ID, purpose: "marketing", channel: "email", decision: "grant", customerWords: NOTE }, "customerWords"],
  ["objection: customer's words", objectionSchema, { interactionId: ID, customerId: ID, customerWords: NOTE }, "customerWords"],
  ["revocation: customer's words", revocationSchema, { interactionId: ID, customerId: ID, customerWords: NOTE, channels: ["sms"] }, "customerWords"],
  ["status change: reason", statusChangeSchema, { interactionId: ID, customerId: ID, status: "inactive", reason: NOTE }, "reason"],
  ["verification alert: closing note", closeAlertSchema, { alertId: ID, note: NOTE }, "note"],
  ["consent dispute: closing note", closeDisputeSchema, { disputeId: ID, note: NOTE }, "note"],
  ["consent API: evidence text", externalConsentSchema, { customer: "ACME-0001", purpose: "marketing", channel: "email", action: "grant", method: "web", evidence: { text: NOTE } }, "evidence.text"],
  ["payment method: billing address line", billingAddressSchema, { interactionId: ID, customerId: ID, paymentMethodId: ID, billingLine1: NOTE, billingCity: "Leeds", billingPostcode: "LS1 4AB" }, "billingLine1"],
];

describe("card numbers refused in free text (F6)", () => {
  it.each(DOORS)("%s refuses a card number, naming the field and never the number", (_door, schema, input, field) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues).toContainEqual([field, CARD_NUMBER_IN_TEXT]);
    expect(JSON.stringify(result.error!.issues)).not.toMatch(/4111/);
  });

  it.each(DOORS)("%s still accepts ordinary words", (_door, schema, input, field) => {
    const path = field.split(".");
    const clean = structuredClone(input);
    let target = clean as Record<string, unknown>;
    for (const p of path.slice(0, -1)) target = target[p] as Record<string, unknown>;
    target[path.at(-1)!] = "Please stop, I have had enough of the calls";
    expect(schema.safeParse(clean).success).toBe(true);
  });

  describe("the call summary, refused in the domain and logged as a security event", () => {
    let t: TestDatabase;
    let agent: StaffActor;
    beforeAll(async () => {
      t = await testDatabase({ seed: true });
      agent = await signedInStaff(t.db, "agent@demo.test");
    });
    afterAll(() => t?.close());

    it("leaves the call open with no summary, and audits the refusal without the value", async () => {
      const ann = await customerByRef(t.db, "acme", "ACME-0001");
      const call = await freshCall(t.db, agent, ann);
      const refused = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: NOTE }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).fieldErrors).toEqual([{ path: "summary", message: CARD_NUMBER_IN_TEXT }]);
      const cvv = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Took payment, CVV 737" }).catch((e: unknown) => e);
      expect((cvv as ValidationError).fieldErrors).toEqual([{ path: "summary", message: SECURITY_CODE_IN_TEXT }]);

      const [still] = await t.db.select().from(interactions).where(eq(interactions.id, call.id));
      expect(still).toMatchObject({ endedAt: null, summary: null });
      const events = await t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, call.id));
      const refusals = events.filter((e) => e.action === "security.card_number_refused");
      expect(refusals.map((e) => [e.outcome, e.after, e.actorId])).toEqual([
        ["failure", { field: "summary", found: "card number" }, agent.id],
        ["failure", { field: "summary", found: "security code" }, agent.id],
      ]);
      expect(JSON.stringify(events)).not.toMatch(/4111 1111|CVV 737/);

      const ended = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Card added through the payment form." });
      expect(ended.endedAt).not.toBeNull();
    });
  });
});
