import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, contactPointHistory, customers, outboxMessages, verifications, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ConflictError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { VerificationRequiredError, checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { unseal } from "@/lib/notifications/sealed";
import { suppressContactPoints } from "@/lib/privacy-requests/suppression";
import { changeCustomerStatus, profileUpdateSchema, revealField, statusChangeSchema, updateProfile, type ProfileUpdate } from "./profile";

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but the call succeeded");
}

describe("profile changes during a call", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let agentAcme: StaffActor;
  let acmeId: string;

  async function customerByRef(ref: string): Promise<Customer> {
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, ref)));
    return row!;
  }
  const current = async (c: Customer) => (await t.db.select().from(customers).where(and(eq(customers.tenantId, c.tenantId), eq(customers.id, c.id))))[0]!;
  const auditOf = (interactionId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, interactionId)).orderBy(auditEvents.at);
  const actionsOf = async (interactionId: string) => (await auditOf(interactionId)).map((e) => e.action);
  const outboxOf = (customerId: string) => t.db.select().from(outboxMessages).where(eq(outboxMessages.customerId, customerId)).orderBy(outboxMessages.createdAt);
  const noticesOf = async (customerId: string) => (await outboxOf(customerId)).filter((m) => m.template !== "verification_code");
  const historyOf = (customerId: string, kind: "email" | "phone") =>
    t.db
      .select()
      .from(contactPointHistory)
      .where(and(eq(contactPointHistory.customerId, customerId), eq(contactPointHistory.kind, kind)))
      .orderBy(contactPointHistory.validFrom);

  async function freshCall(actor: StaffActor, customer: Customer): Promise<Interaction> {
    const open = await openCallWith(t.db, actor, customer);
    if (open) await endCall(t.db, actor, { interactionId: open.id, disposition: "resolved", summary: "Done." });
    return startCall(t.db, actor, { customerId: customer.id });
  }

  /** Basic: the date of birth. Strong: a code to the phone on file (read from the sealed outbox) as well. */
  async function verify(actor: StaffActor, call: Interaction, customer: Customer, level: "basic" | "strong") {
    if (level === "strong") {
      await sendVerificationCode(t.db, actor, { interactionId: call.id, channel: "sms" });
      const [message] = await t.db
        .select()
        .from(outboxMessages)
        .where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code"), eq(outboxMessages.status, "pending")));
      const code = /^(\d{6}) /.exec(unseal(message!.body!))![1]!;
      expect(await checkVerificationCode(t.db, actor, { interactionId: call.id, code })).toMatchObject({ match: true });
    }
    const outcome = await checkKnowledge(t.db, actor, { interactionId: call.id, kind: "date_of_birth", answer: customer.dateOfBirth! });
    expect(outcome).toMatchObject({ match: true, level });
  }

  const form = (call: Interaction, customer: Customer, fields: Omit<ProfileUpdate, "interactionId" | "customerId" | "version">): ProfileUpdate => ({
    interactionId: call.id,
    customerId: customer.id,
    version: customer.version,
    ...fields,
  });

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
  });
  afterAll(() => t?.close());

  describe("a phone number change (Ann Smith)", () => {
    let ann: Customer;
    let call: Interaction;
    const OLD = "+447911123456";
    const NEW = "+447400555222";

    it("is refused to an unverified agent calling the domain directly, and nothing is written", async () => {
      ann = await customerByRef("ACME-0001");
      expect(ann.phone).toBe(OLD);
      call = await freshCall(agent, ann);
      const historyBefore = await historyOf(ann.id, "phone");
      const error = await errorOf(updateProfile(t.db, agent, form(call, ann, { phone: "07400 555222" })));
      expect(error).toBeInstanceOf(VerificationRequiredError);
      expect((error as VerificationRequiredError).needed).toBe("strong");
      expect(await current(ann)).toEqual(ann);
      expect(await actionsOf(call.id)).toEqual(["interaction.started"]);
      expect(await outboxOf(ann.id)).toEqual([]);
      expect(await historyOf(ann.id, "phone")).toEqual(historyBefore);
    });

    it("with basic verification: refused for phone, email and address, even beside a name; a name alone is allowed", async () => {
      await verify(agent, call, ann, "basic");
      const attempts: ProfileUpdate[] = [
        form(call, ann, { phone: "07400 555222" }),
        form(call, ann, { email: "ann.new@example.com" }),
        form(call, ann, { addressLine1: "1 New Street", city: "Leeds", postcode: "LS2 7AA" }),
        form(call, ann, { name: "Ann Jones", phone: "07400 555222" }),
      ];
      for (const input of attempts) {
        const error = await errorOf(updateProfile(t.db, agent, input));
        expect(error).toBeInstanceOf(VerificationRequiredError);
        expect((error as VerificationRequiredError).needed).toBe("strong");
      }
      expect(await current(ann)).toEqual(ann);
      expect(await actionsOf(call.id)).not.toContain("customer.profile_updated");

      const renamed = await updateProfile(t.db, agent, form(call, ann, { name: "Ann Smith-Jones" }));
      expect(renamed).toMatchObject({ name: "Ann Smith-Jones", nameSearch: "ann smith-jones", phone: OLD, version: ann.version + 1 });
      const [event] = (await auditOf(call.id)).filter((e) => e.action === "customer.profile_updated");
      expect(event).toMatchObject({ before: { name: "A••• S•••" }, after: { name: "A••• S•••" }, reason: expect.stringMatching(/^caller verified \(basic\)/) });
      expect(await noticesOf(ann.id)).toEqual([]);
      ann = renamed;
    });

    it("with strong verification: when the transaction around it fails, neither change, notices nor audit remain", async () => {
      await verify(agent, call, ann, "strong");
      const auditBefore = await auditOf(call.id);
      const historyBefore = await historyOf(ann.id, "phone");
      let inside: Customer | undefined;
      // updateProfile's own transaction becomes a savepoint of this one, which then fails.
      const failure = t.db.transaction(async (tx) => {
        inside = await updateProfile(tx, agent, form(call, ann, { phone: "07400 555222" }));
        expect((await tx.select().from(outboxMessages).where(eq(outboxMessages.customerId, ann.id))).map((m) => m.template)).toEqual(
          expect.arrayContaining(["contact_point_changed.old", "contact_point_changed.new"]),
        );
        throw new Error("the next step of the request failed");
      });
      await expect(failure).rejects.toThrow("the next step of the request failed");
      expect(inside?.phone).toBe(NEW); // the change was made, then rolled back with everything written beside it
      expect(await current(ann)).toEqual(ann);
      expect(await noticesOf(ann.id)).toEqual([]);
      expect(await auditOf(call.id)).toEqual(auditBefore);
      expect(await historyOf(ann.id, "phone")).toEqual(historyBefore);
    });

    it("with strong verification: changes the number, keeps its history, notifies the old number and confirms to the new one", async () => {
      const now = new Date();
      const updated = await updateProfile(t.db, agent, form(call, ann, { phone: "07400 555222" }), now);
      expect(updated).toMatchObject({ phone: NEW, version: ann.version + 1, name: "Ann Smith-Jones" });
      expect(await current(ann)).toMatchObject({ phone: NEW, version: ann.version + 1 });

      const history = await historyOf(ann.id, "phone");
      expect(history.map((h) => [h.value, h.validTo?.getTime() ?? null])).toEqual([
        [OLD, now.getTime()],
        [NEW, null],
      ]);
      expect(history[1]).toMatchObject({ interactionId: call.id, validFrom: now });

      const notices = await noticesOf(ann.id);
      expect(notices.map((m) => [m.template, m.channel, m.recipient, m.sensitive])).toEqual([
        ["contact_point_changed.old", "sms", OLD, false],
        ["contact_point_changed.new", "sms", NEW, false],
      ]);
      for (const m of notices) expect(m).toMatchObject({ tenantId: acmeId, interactionId: call.id, status: "pending" });
      const [toOld] = notices;
      expect(toOld!.body).toContain("phone number on your account was changed to •••• •••222");
      expect(toOld!.body).toMatch(/If this wasn't you, call us/);
      expect(toOld!.body).not.toContain("7400555222");

      const [verification] = await t.db.select().from(verifications).where(eq(verifications.interactionId, call.id));
      const event = (await auditOf(call.id)).filter((e) => e.action === "customer.profile_updated").at(-1);
      expect(event).toMatchObject({
        actorId: agent.id,
        entityType: "customer",
        entityId: ann.id,
        customerId: ann.id,
        before: { phone: "•••• •••456" },
        after: { phone: "•••• •••222" },
        reason: `caller verified (strong), verification ${verification!.id}`,
      });
      expect(JSON.stringify(event)).not.toMatch(/7911123456|7400555222/);
      ann = updated;
    });

    it("changes nothing, and sends nothing, when the number typed is the one on file", async () => {
      const before = await noticesOf(ann.id);
      const same = await updateProfile(t.db, agent, form(call, ann, { phone: "+44 7400 555222" }));
      expect(same.version).toBe(ann.version);
      expect(await noticesOf(ann.id)).toEqual(before);
    });
  });

  it("an email change notifies the old address and confirms to the new one (Zoë Brontë)", async () => {
    const zoe = await customerByRef("ACME-0002");
    const call = await freshCall(agent, zoe);
    await expect(updateProfile(t.db, agent, form(call, zoe, { email: "zoe@example.org" }))).rejects.toThrow(VerificationRequiredError);
    await verify(agent, call, zoe, "strong");
    // As the action passes it: through the schema, which lower-cases the address.
    const updated = await updateProfile(t.db, agent, profileUpdateSchema.parse(form(call, zoe, { email: "Zoe.New@Example.org" })));
    expect(updated).toMatchObject({ email: "zoe.new@example.org", version: zoe.version + 1 });

    const notices = await noticesOf(zoe.id);
    expect(notices.map((m) => [m.template, m.channel, m.recipient])).toEqual([
      ["contact_point_changed.old", "email", "zoe.bronte@example.co.uk"],
      ["contact_point_changed.new", "email", "zoe.new@example.org"],
    ]);
    expect(notices[0]).toMatchObject({ subject: "Your Acme Energy email address was changed", interactionId: call.id });
    expect(notices[0]!.body).toContain("z•••@e•••.org");
    expect(notices[0]!.body).not.toContain("zoe.new@example.org");
    expect(notices[1]).toMatchObject({ subject: "Your new email address is confirmed" });

    const history = await historyOf(zoe.id, "email");
    expect(history.map((h) => [h.value, h.validTo === null])).toEqual([
      ["zoe.bronte@example.co.uk", false],
      ["zoe.new@example.org", true],
    ]);
    const event = (await auditOf(call.id)).find((e) => e.action === "customer.profile_updated");
    expect(event).toMatchObject({ before: { email: "z•••@e•••.uk" }, after: { email: "z•••@e•••.org" } });
  });

  it("refuses a save based on a stale version, showing the current value, and overwrites nothing", async () => {
    const siobhan = await customerByRef("ACME-0003");
    // Two agents open the same customer (version 1) in their own calls.
    const mine = await freshCall(agent, siobhan);
    const theirs = await freshCall(agentAcme, siobhan);
    await verify(agent, mine, siobhan, "basic");
    await verify(agentAcme, theirs, siobhan, "basic");

    const first = await updateProfile(t.db, agentAcme, form(theirs, siobhan, { name: "Siobhán O'Brien-Kelly" }));
    expect(first.version).toBe(siobhan.version + 1);

    const error = await errorOf(updateProfile(t.db, agent, form(mine, siobhan, { name: "Siobhan Kelly", language: "ga" })));
    expect(error).toBeInstanceOf(ValidationError);
    const { fieldErrors, message } = error as ValidationError;
    expect(message).toMatch(/Someone else saved changes/);
    expect(fieldErrors).toEqual([
      { path: "name", message: "Changed by someone else while you were editing: it is now “Siobhán O'Brien-Kelly”." },
      { path: "language", message: "Changed by someone else while you were editing: it is now “en-GB”." },
    ]);
    expect(await current(siobhan)).toEqual(first);
    expect(await actionsOf(mine.id)).not.toContain("customer.profile_updated");

    // Saved again from the current version, it goes through.
    const second = await updateProfile(t.db, agent, { ...form(mine, first, { name: "Siobhan Kelly" }) });
    expect(second).toMatchObject({ name: "Siobhan Kelly", version: first.version + 1 });
  });

  it("lets only one of two saves of the same version made at the same moment through", async () => {
    const emily = await customerByRef("ACME-0009");
    const call = await freshCall(agent, emily);
    await verify(agent, call, emily, "basic");
    // On PostgreSQL these run on separate connections at once; the row lock in updateProfile orders them.
    const results = await Promise.allSettled(["Emily Clarke-Hughes", "Emily Hughes"].map((name) => updateProfile(t.db, agent, form(call, emily, { name }))));
    const saved = results.filter((r): r is PromiseFulfilledResult<Customer> => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(saved).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(ValidationError);
    expect(await current(emily)).toMatchObject({ name: saved[0]!.value.name, version: emily.version + 1 });
    expect((await actionsOf(call.id)).filter((a) => a === "customer.profile_updated")).toHaveLength(1);
  });

  describe("validation", () => {
    let mo: Customer;
    let call: Interaction;

    /** As the server action does it: the form through the domain's schema, then the domain. */
    async function submit(raw: Record<string, unknown>): Promise<Customer> {
      const parsed = profileUpdateSchema.safeParse({ interactionId: call.id, customerId: mo.id, version: String(mo.version), ...raw });
      if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
      return updateProfile(t.db, agent, parsed.data);
    }

    async function pathsOf(raw: Record<string, unknown>): Promise<string[]> {
      const error = await errorOf(submit(raw));
      expect(error).toBeInstanceOf(ValidationError);
      return [...new Set((error as ValidationError).fieldErrors.map((e) => e.path))].sort();
    }

    it("answers each invalid field with its path, and writes nothing", async () => {
      mo = await customerByRef("ACME-0004");
      call = await freshCall(agent, mo);
      await verify(agent, call, mo, "strong");
      const auditBefore = await auditOf(call.id);

      expect(await pathsOf({ email: "not-an-email" })).toEqual(["email"]);
      expect(await pathsOf({ dateOfBirth: "1990-02-31" })).toEqual(["dateOfBirth"]);
      expect(await pathsOf({ dateOfBirth: "31/01/1990" })).toEqual(["dateOfBirth"]);
      expect(await pathsOf({ email: "mo@", dateOfBirth: "2999-01-01" })).toEqual(["dateOfBirth", "email"]);
      expect(await pathsOf({ phone: "12" })).toEqual(["phone"]);
      expect(await pathsOf({ phone: "0123 456789" })).toEqual(["phone"]);
      expect(await pathsOf({ addressLine1: "1 New Street", city: "Leeds" })).toEqual(["postcode"]);
      expect(await pathsOf({ addressLine1: "1 New Street" })).toEqual(["city", "postcode"]);
      expect(await pathsOf({ phone: "12", email: "mo@", dateOfBirth: "1990-02-31" })).toEqual(["dateOfBirth", "email", "phone"]);
      expect(await pathsOf({ phone: "0123 456789", addressLine1: "1 New Street", city: "Leeds", name: "Mo Rahman" })).toEqual(["phone", "postcode"]);

      const phoneError = (await errorOf(updateProfile(t.db, agent, form(call, mo, { phone: "0000" })))) as ValidationError;
      expect(phoneError.fieldErrors).toEqual([{ path: "phone", message: expect.stringMatching(/not a valid phone number/) }]);

      expect(await current(mo)).toEqual(mo);
      expect(await auditOf(call.id)).toEqual(auditBefore);
      expect(await noticesOf(mo.id)).toEqual([]);
    });

    it("refuses an email address or phone number erased at a customer's request, per field, and writes nothing (B9(c))", async () => {
      await suppressContactPoints(t.db, acmeId, { emails: ["gone.customer@example.com"], phones: ["+447911765432"] }, { reason: "erasure", requestId: null });
      const auditBefore = await auditOf(call.id);
      const error = await errorOf(submit({ email: "Gone.Customer@Example.com", phone: "07911 765432", name: "Mo Rahman" }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors).toEqual([
        { path: "email", message: "This email address was erased at a customer's request and cannot be added again. Ask for another one." },
        { path: "phone", message: "This phone number was erased at a customer's request and cannot be added again. Ask for another one." },
      ]);
      const phoneOnly = (await errorOf(submit({ phone: "+44 7911 765 432" }))) as ValidationError;
      expect(phoneOnly.fieldErrors.map((e) => e.path)).toEqual(["phone"]);
      expect(await current(mo)).toEqual(mo);
      expect(await auditOf(call.id)).toEqual(auditBefore);
      expect(await noticesOf(mo.id)).toEqual([]);
    });

    it("refuses an empty form", async () => {
      for (const raw of [{}, { name: "  ", phone: "", email: "" }]) {
        const error = await errorOf(submit(raw));
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).message).toBe("Type the new value of at least one field.");
      }
      await expect(updateProfile(t.db, agent, form(call, mo, {}))).rejects.toThrow(ValidationError);
      expect(await current(mo)).toEqual(mo);
    });

    it("changes nothing when the address typed is the one on file", async () => {
      expect(mo.address).toEqual({ line1: "9 Cedar Court", city: "Birmingham", postcode: "B5 7RT", country: "GB" });
      const auditBefore = await auditOf(call.id);
      const same = await submit({ addressLine1: "9 Cedar Court", city: "Birmingham", postcode: "B5 7RT", country: "gb" });
      expect(same.version).toBe(mo.version);
      expect(await current(mo)).toEqual(mo);
      expect(await auditOf(call.id)).toEqual(auditBefore);
    });

    it("accepts a complete new address, in the tenant's country by default", async () => {
      const updated = await submit({ addressLine1: "1 New Street", city: "Leeds", postcode: "LS2 7AA" });
      expect(updated.address).toEqual({ line1: "1 New Street", line2: null, city: "Leeds", region: null, postcode: "LS2 7AA", country: "GB" });
      const event = (await auditOf(call.id)).find((e) => e.action === "customer.profile_updated");
      expect(event).toMatchObject({ before: { address: "Birmingham" }, after: { address: "Leeds" } });
    });
  });

  describe("revealing a masked field (Gwen Llewellyn)", () => {
    it("needs basic verification, returns the value and audits which field, not the value", async () => {
      const gwen = await customerByRef("ACME-0005");
      const call = await freshCall(agent, gwen);
      await expect(revealField(t.db, agent, { interactionId: call.id, customerId: gwen.id, field: "phone" })).rejects.toThrow(VerificationRequiredError);
      expect(await actionsOf(call.id)).not.toContain("customer.field_revealed");

      await verify(agent, call, gwen, "basic");
      const reveal = (field: "email" | "phone" | "address" | "dateOfBirth") => revealField(t.db, agent, { interactionId: call.id, customerId: gwen.id, field });
      expect(await reveal("phone")).toBe("+447975112233");
      expect(await reveal("email")).toBe("gwen.llewellyn@example.cymru");
      expect(await reveal("dateOfBirth")).toBe("1995-05-17");
      expect(await reveal("address")).toBe("1 Castle Street, Cardiff, CF10 1BS, GB");

      const events = (await auditOf(call.id)).filter((e) => e.action === "customer.field_revealed");
      expect(events.map((e) => e.after)).toEqual([{ field: "phone" }, { field: "email" }, { field: "dateOfBirth" }, { field: "address" }]);
      for (const e of events) expect(e).toMatchObject({ actorId: agent.id, customerId: gwen.id, entityId: gwen.id });
      expect(JSON.stringify(events)).not.toMatch(/7975112233|gwen\.llewellyn|1995|Castle/);

      // Another agent cannot reveal through this call.
      await expect(revealField(t.db, agentAcme, { interactionId: call.id, customerId: gwen.id, field: "phone" })).rejects.toThrow(ConflictError);
    });
  });

  describe("inactivating and reactivating (Peter Okafor)", () => {
    it("needs basic verification and a reason, is audited, and blocks profile changes while inactive", async () => {
      const peter = await customerByRef("ACME-0006");
      const call = await freshCall(agent, peter);
      const input = { interactionId: call.id, customerId: peter.id, status: "inactive" as const, reason: "Moving abroad for a year" };
      await expect(changeCustomerStatus(t.db, agent, input)).rejects.toThrow(VerificationRequiredError);
      expect(statusChangeSchema.safeParse({ ...input, reason: " " }).error?.issues.map((i) => i.path.join("."))).toEqual(["reason"]);

      await verify(agent, call, peter, "basic");
      const inactive = await changeCustomerStatus(t.db, agent, input);
      expect(inactive).toMatchObject({ status: "inactive", statusReason: "Moving abroad for a year", version: peter.version + 1 });
      await expect(changeCustomerStatus(t.db, agent, input)).rejects.toThrow(ConflictError);

      const blocked = await errorOf(updateProfile(t.db, agent, form(call, inactive, { name: "Peter O. Okafor" })));
      expect(blocked).toBeInstanceOf(ConflictError);
      expect((blocked as ConflictError).message).toMatch(/inactive/);
      expect(await current(peter)).toEqual(inactive);

      const active = await changeCustomerStatus(t.db, agent, { ...input, status: "active", reason: "Back in the country" });
      expect(active).toMatchObject({ status: "active", statusReason: "Back in the country", version: inactive.version + 1 });
      const events = (await auditOf(call.id)).filter((e) => e.action === "customer.inactivated" || e.action === "customer.reactivated");
      expect(events.map((e) => [e.action, e.before, e.after, e.reason])).toEqual([
        ["customer.inactivated", { status: "active" }, { status: "inactive" }, "Moving abroad for a year"],
        ["customer.reactivated", { status: "inactive" }, { status: "active" }, "Back in the country"],
      ]);

      expect(await updateProfile(t.db, agent, form(call, active, { name: "Peter O. Okafor" }))).toMatchObject({ name: "Peter O. Okafor" });
    });
  });
});
