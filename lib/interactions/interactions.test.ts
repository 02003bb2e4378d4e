import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, customers, interactions, type Customer } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { customerInteractions, endCall, startCall } from "./interactions";

describe("calls", () => {
  let t: TestDatabase;
  let agent: StaffActor; // acme and globex
  let agentAcme: StaffActor; // acme only
  let ann: Customer; // ACME-0001
  let zoe: Customer; // ACME-0002
  let john: Customer; // GLX-0001

  async function customerByRef(tenantKey: string, ref: string): Promise<Customer> {
    const tenantId = await tenantIdByKey(t.db, tenantKey);
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return row!;
  }

  const callsOf = (customerId: string) => t.db.select().from(interactions).where(eq(interactions.customerId, customerId));
  const auditOf = (interactionId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, interactionId));

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test", "192.0.2.44");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test", "192.0.2.44");
    ann = await customerByRef("acme", "ACME-0001");
    zoe = await customerByRef("acme", "ACME-0002");
    john = await customerByRef("globex", "GLX-0001");
  });
  afterAll(() => t?.close());

  describe("a call from start to end", () => {
    let callId: string;

    it("starts a call, with the caller's number in E.164, and audits it with the interaction id", async () => {
      const call = await startCall(t.db, agent, { customerId: ann.id, callerNumber: "07911 123456", recordingRef: "rec-001" });
      callId = call.id;
      expect(call).toMatchObject({
        tenantId: ann.tenantId,
        customerId: ann.id,
        agentId: agent.id,
        channel: "phone",
        endedAt: null,
        callerNumber: "+447911123456",
        recordingRef: "rec-001",
        disposition: null,
        summary: null,
      });
      const events = await auditOf(call.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: "interaction.started",
        entityType: "interaction",
        entityId: call.id,
        interactionId: call.id,
        customerId: ann.id,
        tenantId: ann.tenantId,
        actorId: agent.id,
        ip: "192.0.2.44",
        after: { callerNumber: "•••• •••456", recordingRef: "rec-001" },
      });
      expect(JSON.stringify(events[0]!.after)).not.toContain("7911");
    });

    it("returns the open call when started again: no duplicate, no second audit event", async () => {
      const again = await startCall(t.db, agent, { customerId: ann.id });
      expect(again.id).toBe(callId);
      expect(await callsOf(ann.id)).toHaveLength(1);
      expect(await auditOf(callId)).toHaveLength(1);
    });

    it("does not let another agent end it, and leaves it open", async () => {
      await expect(endCall(t.db, agentAcme, { interactionId: callId, disposition: "resolved", summary: "not mine" })).rejects.toBeInstanceOf(
        ConflictError,
      );
      const [row] = await t.db.select().from(interactions).where(eq(interactions.id, callId));
      expect(row).toMatchObject({ endedAt: null, disposition: null, summary: null, version: 1 });
      expect(await auditOf(callId)).toHaveLength(1);
    });

    it("ends the call with its disposition and summary, and audits it with the interaction id", async () => {
      const ended = await endCall(t.db, agent, { interactionId: callId, disposition: "follow_up", summary: "Asked about the March bill." });
      expect(ended).toMatchObject({ id: callId, disposition: "follow_up", summary: "Asked about the March bill.", version: 2 });
      expect(ended.endedAt).toBeInstanceOf(Date);
      expect(ended.endedAt!.getTime()).toBeGreaterThanOrEqual(ended.startedAt.getTime());
      const [row] = await t.db.select().from(interactions).where(eq(interactions.id, callId));
      expect(row).toMatchObject({ disposition: "follow_up", summary: "Asked about the March bill." });
      expect(row!.endedAt).not.toBeNull();

      const events = await auditOf(callId);
      expect(events.map((e) => e.action).sort()).toEqual(["interaction.ended", "interaction.started"]);
      expect(events.find((e) => e.action === "interaction.ended")).toMatchObject({
        entityId: callId,
        interactionId: callId,
        customerId: ann.id,
        actorId: agent.id,
        after: { disposition: "follow_up", durationSeconds: expect.any(Number) },
      });
    });

    it("refuses to end it twice", async () => {
      await expect(endCall(t.db, agent, { interactionId: callId, disposition: "resolved", summary: "again" })).rejects.toBeInstanceOf(ConflictError);
      expect(await auditOf(callId)).toHaveLength(2);
    });

    it("opens a new call once the previous one has ended", async () => {
      const next = await startCall(t.db, agent, { customerId: ann.id });
      expect(next.id).not.toBe(callId);
      expect(await callsOf(ann.id)).toHaveLength(2);
      expect((await customerInteractions(t.db, agent, ann)).map((c) => c.id)).toEqual([next.id, callId]);
    });
  });

  it("opens one call for starts at the same moment (double clicks, a second tab)", async () => {
    // On PostgreSQL these run on separate connections at once; only the lock in startCall keeps them to one call.
    const calls = await Promise.all(Array.from({ length: 8 }, () => startCall(t.db, agentAcme, { customerId: zoe.id })));
    expect(new Set(calls.map((c) => c.id)).size).toBe(1);
    expect(await callsOf(zoe.id)).toHaveLength(1);
    expect(await auditOf(calls[0]!.id)).toHaveLength(1);
  });

  it("gives each agent their own call with the same customer", async () => {
    const mine = await startCall(t.db, agent, { customerId: zoe.id });
    const theirs = await startCall(t.db, agentAcme, { customerId: zoe.id });
    expect(mine.id).not.toBe(theirs.id);
    expect(mine.agentId).toBe(agent.id);
    expect(theirs.agentId).toBe(agentAcme.id);
  });

  describe("another tenant", () => {
    it("cannot start a call for the customer: NotFound, nothing written", async () => {
      await expect(startCall(t.db, agentAcme, { customerId: john.id })).rejects.toBeInstanceOf(NotFoundError);
      expect(await callsOf(john.id)).toEqual([]);
    });

    it("cannot end, or even see, a call of another tenant", async () => {
      const call = await startCall(t.db, agent, { customerId: john.id, callerNumber: "(415) 555-0134" });
      expect(call.callerNumber).toBe("+14155550134");
      await expect(endCall(t.db, agentAcme, { interactionId: call.id, disposition: "resolved", summary: "x" })).rejects.toBeInstanceOf(NotFoundError);
      await expect(customerInteractions(t.db, agentAcme, john)).rejects.toBeInstanceOf(NotFoundError);
      const [row] = await t.db.select().from(interactions).where(eq(interactions.id, call.id));
      expect(row!.endedAt).toBeNull();
    });
  });

  it("refuses a caller number that is not a phone number, writing nothing", async () => {
    const before = (await callsOf(john.id)).length;
    await expect(startCall(t.db, agent, { customerId: john.id, callerNumber: "12" })).rejects.toBeInstanceOf(ValidationError);
    expect(await callsOf(john.id)).toHaveLength(before);
  });

  it("is for staff only", async () => {
    await expect(startCall(t.db, systemActor("robot"), { customerId: ann.id })).rejects.toBeInstanceOf(NotFoundError);
    const apiKey = { type: "api_key" as const, id: "k", name: "k", tenantId: ann.tenantId, scopes: [], ip: null };
    await expect(startCall(t.db, apiKey, { customerId: ann.id })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("refuses a call for an erased customer", async () => {
    await t.db.update(customers).set({ status: "erased" }).where(and(eq(customers.tenantId, zoe.tenantId), eq(customers.ref, "ACME-0012")));
    const erased = await customerByRef("acme", "ACME-0012");
    await expect(startCall(t.db, agent, { customerId: erased.id })).rejects.toBeInstanceOf(ConflictError);
    expect(await callsOf(erased.id)).toEqual([]);
  });
});
