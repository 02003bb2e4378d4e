import { and, count, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from "@/db/demo-data";
import { auditEvents, staffRecoveryCodes, staffSessions, staffUsers, tenants } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { isSealed } from "@/lib/notifications/sealed";
import { updateTenant, updateTenantSchema } from "@/lib/tenants/tenants";
import { MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_ADDRESS } from "./policy";
import {
  enrolSecondFactor,
  offerEnrolment,
  regenerateRecoveryCodes,
  resetSecondFactor,
  secondFactorStatus,
  totpCode,
} from "./second-factor";
import { resolveSession } from "./sessions";
import { openChallenge, passSecondFactor, secondFactorProofSchema, signIn, type SecondFactorProof } from "./sign-in";
import { createStaff, updateStaff } from "./staff";

const STEP = 30_000;

describe("staff second factor", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  let globex: string;
  let serial = 0;
  // Each test its own minute-aligned stretch of time, clear of real time and of the others.
  let clock = Math.ceil(Date.now() / STEP) * STEP + 3_600_000;
  const later = () => new Date((clock += 10 * 60_000));

  async function newStaff(role: "agent" | "supervisor" | "admin", tenantIds = [acme]) {
    const email = `mfa.${role}.${++serial}@demo.test`;
    const { id } = await createStaff(t.db, admin, {
      email,
      name: `MFA ${role} ${serial}`,
      role,
      password: DEMO_PASSWORD,
      tenantIds,
    });
    return { id, email };
  }

  async function challengeOf(email: string, at: Date, ip = "203.0.113.5") {
    const result = await signIn(t.db, email, DEMO_PASSWORD, ip, at);
    if (result.outcome !== "second-factor")
      throw new Error(`expected a second factor for ${email}, got ${result.outcome}`);
    return result;
  }

  const challengeIdOf = async (email: string, at: Date, ip?: string) => (await challengeOf(email, at, ip)).challengeId;
  const pass = (challengeId: string, proof: SecondFactorProof, ip: string | null, at: Date) =>
    passSecondFactor(t.db, challengeId, proof, ip, at);
  const codeAt = (secret: string, at: Date) => ({ kind: "code" as const, code: totpCode(secret, at) });
  const recovery = (code: string) => secondFactorProofSchema.parse({ kind: "recovery", code });

  /** A fresh supervisor who has enrolled, with the secret their app holds and their recovery codes. */
  async function enrolledSupervisor(at: Date) {
    const staff = await newStaff("supervisor");
    const challenge = await challengeOf(staff.email, at);
    const offer = await offerEnrolment(staff, at);
    const done = await pass(
      challenge.challengeId,
      { kind: "enrol", ticket: offer.ticket, code: totpCode(offer.secret, at) },
      null,
      at,
    );
    if (done.outcome !== "signed-in" || !done.recoveryCodes) throw new Error("enrolment failed");
    return { ...staff, secret: offer.secret, recoveryCodes: done.recoveryCodes };
  }

  const row = async (id: string) => (await t.db.select().from(staffUsers).where(eq(staffUsers.id, id)))[0]!;
  const events = (staffId: string, action: string) =>
    t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, staffId), eq(auditEvents.action, action)));
  const sessionCount = async (staffId: string) =>
    Number((await t.db.select({ n: count() }).from(staffSessions).where(eq(staffSessions.staffId, staffId)))[0]!.n);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t?.close());

  it("asks the demo supervisor for a code after the password, and opens the session only with it", async () => {
    const at = later();
    const supervisor = await row((await challengeOf("supervisor@demo.test", at)).staffId);
    const sessionsBefore = await sessionCount(supervisor.id);
    const challenge = await challengeOf("supervisor@demo.test", at);
    expect(challenge.enrol).toBe(false);
    expect(await openChallenge(t.db, challenge.challengeId, at)).toEqual({
      staffId: supervisor.id,
      email: "supervisor@demo.test",
      enrol: false,
    });
    expect(await sessionCount(supervisor.id)).toBe(sessionsBefore);

    const result = await pass(challenge.challengeId, codeAt(DEMO_TOTP_SECRET, at), "203.0.113.5", at);
    expect(result).toEqual({ outcome: "signed-in", staffId: supervisor.id, sessionId: expect.any(String) });
    if (result.outcome !== "signed-in") return;
    expect(await resolveSession(t.db, result.sessionId, null, at)).toMatchObject({
      email: "supervisor@demo.test",
      role: "supervisor",
    });
    const [signedIn] = (await events(supervisor.id, "staff.signed_in"))
      .filter((e) => e.at >= supervisor.updatedAt)
      .slice(-1);
    expect(signedIn).toMatchObject({ outcome: "success", after: { secondFactor: "authenticator" } });
    // The challenge is single use.
    expect(await openChallenge(t.db, challenge.challengeId, at)).toBeNull();
    const again = await pass(
      challenge.challengeId,
      { kind: "code", code: totpCode(DEMO_TOTP_SECRET, new Date(at.getTime() + STEP)) },
      null,
      at,
    );
    expect(again).toEqual({ outcome: "expired" });
  });

  it("refuses a code of a step already used, even on a new challenge", async () => {
    const at = later();
    const staff = await enrolledSupervisor(at);
    // Enrolment used this step's code; the same code again is a replay.
    const replay = await pass(await challengeIdOf(staff.email, at), codeAt(staff.secret, at), null, at);
    expect(replay).toEqual({ outcome: "wrong", reason: "code already used" });
    // So is the step before, still inside the clock window.
    const before = new Date(at.getTime() - STEP);
    const earlier = await pass(await challengeIdOf(staff.email, at), codeAt(staff.secret, before), null, at);
    expect(earlier).toEqual({ outcome: "wrong", reason: "code already used" });
    // The next step's code works once.
    const next = new Date(at.getTime() + STEP);
    const ok = await pass(await challengeIdOf(staff.email, next), codeAt(staff.secret, next), null, next);
    expect(ok.outcome).toBe("signed-in");
    const twice = await pass(await challengeIdOf(staff.email, next), codeAt(staff.secret, next), null, next);
    expect(twice).toEqual({ outcome: "wrong", reason: "code already used" });
    expect((await events(staff.id, "staff.second_factor_failed")).map((e) => e.reason)).toEqual([
      "code already used",
      "code already used",
      "code already used",
    ]);
  });

  it("counts a wrong code toward the account's lockout, ends the challenge after 3 and audits each", async () => {
    const at = later();
    const staff = await enrolledSupervisor(at);
    const challenge = await challengeOf(staff.email, at);
    const wrong = String((Number(totpCode(staff.secret, at)) + 1) % 1_000_000).padStart(6, "0");
    expect(await pass(challenge.challengeId, { kind: "code", code: wrong }, null, at)).toEqual({
      outcome: "wrong",
      reason: "wrong code",
    });
    expect((await row(staff.id)).failedSignIns).toBe(1);
    expect(await pass(challenge.challengeId, { kind: "code", code: wrong }, null, at)).toEqual({
      outcome: "wrong",
      reason: "wrong code",
    });
    expect(await pass(challenge.challengeId, { kind: "code", code: wrong }, null, at)).toEqual({ outcome: "expired" });
    // The right code no longer helps on that challenge.
    const next = new Date(at.getTime() + STEP);
    expect((await pass(challenge.challengeId, codeAt(staff.secret, next), null, next)).outcome).toBe("expired");
    // A correct password does not clear the count; two more wrong codes lock the account.
    const second = await challengeOf(staff.email, at);
    await pass(second.challengeId, { kind: "code", code: wrong }, null, at);
    expect((await row(staff.id)).failedSignIns).toBe(MAX_FAILED_SIGN_INS - 1);
    expect(await pass(second.challengeId, { kind: "code", code: wrong }, null, at)).toEqual({ outcome: "expired" });
    const locked = await row(staff.id);
    expect(locked.lockedUntil?.getTime()).toBeGreaterThan(at.getTime());
    expect(await signIn(t.db, staff.email, DEMO_PASSWORD, null, next)).toEqual({ outcome: "refused" });
    const failures = await events(staff.id, "staff.second_factor_failed");
    expect(failures).toHaveLength(5);
    expect(failures.every((e) => e.outcome === "failure")).toBe(true);
    expect(failures.at(-1)!.reason).toBe("wrong code; account locked for 15 minutes");
    expect(JSON.stringify(failures)).not.toContain(wrong);
  });

  it("enrols a supervisor who has no factor before any session: QR and secret, a code, then 10 recovery codes", async () => {
    const at = later();
    const staff = await newStaff("supervisor");
    const challenge = await challengeOf(staff.email, at);
    expect(challenge.enrol).toBe(true);
    const offer = await offerEnrolment(staff, at);
    expect(offer.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(offer.qrSvg).toMatch(/^<svg[^>]*viewBox/);
    expect(offer.ticket).not.toContain(offer.secret);
    expect(await sessionCount(staff.id)).toBe(0);

    // A wrong first code stores nothing.
    const wrong = await pass(
      challenge.challengeId,
      { kind: "enrol", ticket: offer.ticket, code: "000000" === totpCode(offer.secret, at) ? "111111" : "000000" },
      null,
      at,
    );
    expect(wrong).toEqual({ outcome: "wrong", reason: "wrong code while enrolling" });
    expect((await row(staff.id)).totpEnrolledAt).toBeNull();
    // Another person's offer does not enrol this one.
    const other = await offerEnrolment({ id: admin.id, email: admin.email }, at);
    const foreign = await pass(
      challenge.challengeId,
      { kind: "enrol", ticket: other.ticket, code: totpCode(other.secret, at) },
      null,
      at,
    );
    expect(foreign).toEqual({ outcome: "wrong", reason: "enrolment offer expired or not valid" });
    expect((await row(staff.id)).totpEnrolledAt).toBeNull();

    const fresh = await challengeOf(staff.email, at);
    const done = await pass(
      fresh.challengeId,
      { kind: "enrol", ticket: offer.ticket, code: totpCode(offer.secret, at) },
      null,
      at,
    );
    expect(done).toMatchObject({ outcome: "signed-in", staffId: staff.id });
    if (done.outcome !== "signed-in") return;
    expect(done.recoveryCodes).toHaveLength(10);
    expect(new Set(done.recoveryCodes).size).toBe(10);
    for (const code of done.recoveryCodes!) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);

    const enrolled = await row(staff.id);
    expect(enrolled.totpEnrolledAt).toEqual(at);
    expect(isSealed(enrolled.totpSecretSealed!)).toBe(true);
    expect(enrolled.totpSecretSealed).not.toContain(offer.secret);
    const stored = await t.db.select().from(staffRecoveryCodes).where(eq(staffRecoveryCodes.staffId, staff.id));
    expect(stored).toHaveLength(10);
    const clear = done.recoveryCodes!.flatMap((c) => [c, c.replace("-", "")]);
    for (const r of stored) {
      expect(r.codeHash).toMatch(/^[\w-]+:[0-9a-f]{64}$/); // a keyed hash naming its key
      for (const c of clear) expect(r.codeHash).not.toContain(c);
    }
    expect(await events(staff.id, "staff.second_factor_enrolled")).toHaveLength(1);
    expect(await secondFactorStatus(t.db, (await resolveSession(t.db, done.sessionId, null, at))!)).toEqual({
      enrolledAt: at,
      required: true,
      recoveryCodesLeft: 10,
    });

    // Enrolled now: a password alone can never swap in another app.
    const swap = await offerEnrolment(staff, at);
    const next = new Date(at.getTime() + STEP);
    const refused = await pass(
      await challengeIdOf(staff.email, next),
      { kind: "enrol", ticket: swap.ticket, code: totpCode(swap.secret, next) },
      null,
      next,
    );
    expect(refused).toEqual({ outcome: "wrong", reason: "enrolment refused: already enrolled" });
    expect((await row(staff.id)).totpSecretSealed).toBe(enrolled.totpSecretSealed);
  });

  it("signs in with a recovery code once only", async () => {
    const at = later();
    const staff = await enrolledSupervisor(at);
    const code = staff.recoveryCodes[3]!;
    const used = await pass(await challengeIdOf(staff.email, at), recovery(` ${code.toUpperCase()} `), null, at);
    expect(used.outcome).toBe("signed-in");
    expect(await events(staff.id, "staff.recovery_code_used")).toMatchObject([
      { outcome: "success", after: { remaining: 9 } },
    ]);
    const again = await pass(await challengeIdOf(staff.email, at), recovery(code), null, at);
    expect(again).toEqual({ outcome: "wrong", reason: "wrong recovery code" });
    const [left] = await t.db
      .select({ n: count() })
      .from(staffRecoveryCodes)
      .where(and(eq(staffRecoveryCodes.staffId, staff.id), isNull(staffRecoveryCodes.usedAt)));
    expect(Number(left!.n)).toBe(9);
    // Another code still works.
    expect(
      (await pass(await challengeIdOf(staff.email, at), recovery(staff.recoveryCodes[0]!), null, at)).outcome,
    ).toBe("signed-in");
  });

  it("lets an admin reset another's factor, audited, ending their sessions; not outside the admin's tenants", async () => {
    const at = later();
    const staff = await enrolledSupervisor(at);
    expect(await sessionCount(staff.id)).toBe(1);
    await resetSecondFactor(t.db, admin, staff.id, at);
    const reset = await row(staff.id);
    expect(reset).toMatchObject({ totpSecretSealed: null, totpEnrolledAt: null, totpLastStep: null });
    expect(await t.db.select().from(staffRecoveryCodes).where(eq(staffRecoveryCodes.staffId, staff.id))).toHaveLength(
      0,
    );
    const [open] = await t.db
      .select()
      .from(staffSessions)
      .where(and(eq(staffSessions.staffId, staff.id), isNull(staffSessions.endedAt)));
    expect(open).toBeUndefined();
    expect(await events(staff.id, "staff.second_factor_reset")).toMatchObject([
      { actorId: admin.id, outcome: "success", before: { enrolled: true }, after: { enrolled: false } },
    ]);
    // Their next sign-in enrols again.
    expect((await challengeOf(staff.email, at)).enrol).toBe(true);

    // An Acme-only admin cannot reset someone who also works for Globex, nor can a supervisor.
    const acmeAdminStaff = await newStaff("admin", [acme]);
    const acmeAdminUser = await row(acmeAdminStaff.id);
    const acmeAdmin: StaffActor = {
      type: "staff",
      id: acmeAdminUser.id,
      email: acmeAdminUser.email,
      name: acmeAdminUser.name,
      role: "admin",
      platformAdmin: false,
      tenantIds: [acme],
      sessionId: "test",
      ip: null,
    };
    const both = await enrolledSupervisor(at);
    await updateStaff(t.db, admin, { staffId: both.id, role: "supervisor", tenantIds: [acme, globex], active: true });
    await expect(resetSecondFactor(t.db, acmeAdmin, both.id, at)).rejects.toBeInstanceOf(NotFoundError);
    const supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    await expect(resetSecondFactor(t.db, supervisor, both.id, at)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(resetSecondFactor(t.db, admin, admin.id, at)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await row(both.id)).totpEnrolledAt).not.toBeNull();
    expect(await events(both.id, "staff.second_factor_reset")).toHaveLength(0);
    // Someone of the Acme admin's own tenants: allowed.
    await updateStaff(t.db, admin, { staffId: both.id, role: "supervisor", tenantIds: [acme], active: true });
    await resetSecondFactor(t.db, acmeAdmin, both.id, at);
    expect((await row(both.id)).totpEnrolledAt).toBeNull();
  });

  it("requires agents to enrol where a tenant of theirs says so, switched by an admin and audited", async () => {
    const at = later();
    const acmeAgent = await newStaff("agent", [acme]);
    const globexAgent = await newStaff("agent", [globex]);
    expect((await signIn(t.db, acmeAgent.email, DEMO_PASSWORD, null, at)).outcome).toBe("signed-in");
    const [tenant] = await t.db.select().from(tenants).where(eq(tenants.id, acme));
    const { name, rulePacks, defaultCountry, knowledgeOnlyStrong, emailDoubleOptIn } = tenant!;
    const fields = updateTenantSchema.parse({
      tenantId: acme,
      name,
      rulePacks,
      defaultCountry,
      knowledgeOnlyStrong,
      emailDoubleOptIn,
    });
    await updateTenant(t.db, admin, { ...fields, agentMfaRequired: true });
    try {
      const [audit] = (
        await t.db
          .select()
          .from(auditEvents)
          .where(and(eq(auditEvents.entityId, acme), eq(auditEvents.action, "tenant.updated")))
      ).slice(-1);
      expect(audit).toMatchObject({ before: { agentMfaRequired: false }, after: { agentMfaRequired: true } });
      expect(await signIn(t.db, acmeAgent.email, DEMO_PASSWORD, null, at)).toMatchObject({
        outcome: "second-factor",
        enrol: true,
      });
      expect((await signIn(t.db, globexAgent.email, DEMO_PASSWORD, null, at)).outcome).toBe("signed-in");
      // An update that leaves the policy out keeps it.
      await updateTenant(t.db, admin, fields);
      expect((await signIn(t.db, acmeAgent.email, DEMO_PASSWORD, null, at)).outcome).toBe("second-factor");
    } finally {
      await t.db.update(tenants).set({ agentMfaRequired: false }).where(eq(tenants.id, acme));
    }
  });

  it("lets a signed-in agent enrol by choice, then asks for the code; new recovery codes need a current code", async () => {
    const at = later();
    const staff = await newStaff("agent", [globex]);
    const first = await signIn(t.db, staff.email, DEMO_PASSWORD, null, at);
    if (first.outcome !== "signed-in") throw new Error("agent should sign in with a password");
    const agent = (await resolveSession(t.db, first.sessionId, null, at))!;
    const offer = await offerEnrolment(agent, at);
    await expect(
      enrolSecondFactor(
        t.db,
        agent,
        { ticket: offer.ticket, code: "123456" === totpCode(offer.secret, at) ? "654321" : "123456" },
        at,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    const codes = await enrolSecondFactor(t.db, agent, { ticket: offer.ticket, code: totpCode(offer.secret, at) }, at);
    expect(codes).toHaveLength(10);
    await expect(
      enrolSecondFactor(t.db, agent, { ticket: offer.ticket, code: totpCode(offer.secret, at) }, at),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await signIn(t.db, staff.email, DEMO_PASSWORD, null, at)).toMatchObject({
      outcome: "second-factor",
      enrol: false,
    });

    await expect(regenerateRecoveryCodes(t.db, agent, { code: totpCode(offer.secret, at) }, at)).rejects.toBeInstanceOf(
      ValidationError,
    ); // already used
    const next = new Date(at.getTime() + STEP);
    const fresh = await regenerateRecoveryCodes(t.db, agent, { code: totpCode(offer.secret, next) }, next);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => codes.includes(c))).toBe(false);
    // The old codes are gone.
    const old = await pass(await challengeIdOf(staff.email, next), recovery(codes[0]!), null, next);
    expect(old).toEqual({ outcome: "wrong", reason: "wrong recovery code" });
    expect(await events(staff.id, "staff.recovery_codes_replaced")).toHaveLength(1);
  });

  it(`refuses a client address after ${MAX_FAILED_SIGN_INS_PER_ADDRESS} failures in 15 minutes, whatever the accounts, saying when`, async () => {
    const at = later();
    const ip = "198.51.100.200";
    const victims = await Promise.all([newStaff("agent"), newStaff("agent"), newStaff("agent")]);
    // Spraying: a few tries on each account, never enough to lock one, plus unknown emails.
    for (let i = 0; i < MAX_FAILED_SIGN_INS_PER_ADDRESS; i++) {
      const email = i < 12 ? victims[i % 3]!.email : `nobody.${i}@demo.test`;
      expect(await signIn(t.db, email, `guess-${i}`, ip, at)).toEqual({ outcome: "refused" });
    }
    for (const v of victims) expect((await row(v.id)).lockedUntil).toBeNull();
    // The next attempt is not even checked, the right password included…
    expect(await signIn(t.db, victims[0]!.email, DEMO_PASSWORD, ip, at)).toEqual({
      outcome: "rate-limited",
      retryAfterSeconds: 45,
    });
    // …so the account owners elsewhere on the floor are not locked out.
    expect((await signIn(t.db, victims[0]!.email, DEMO_PASSWORD, "198.51.100.201", at)).outcome).toBe("signed-in");
    // One token is back after 45 seconds.
    const after = new Date(at.getTime() + 45_000);
    expect((await signIn(t.db, victims[1]!.email, DEMO_PASSWORD, ip, after)).outcome).toBe("signed-in");
    const [refusal] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.ip, ip), eq(auditEvents.reason, "too many failed sign-ins from this address")));
    expect(refusal).toMatchObject({ action: "staff.sign_in_failed", outcome: "failure" });
  });

  it("counts wrong codes against the address too, and checks it before the code", async () => {
    const at = later();
    const ip = "198.51.100.210";
    const staff = await enrolledSupervisor(at);
    for (let i = 0; i < MAX_FAILED_SIGN_INS_PER_ADDRESS - 2; i++)
      await signIn(t.db, `nobody.${i}@demo.test`, "guess", ip, at);
    const challenge = await challengeOf(staff.email, at, ip);
    const wrong = String((Number(totpCode(staff.secret, at)) + 1) % 1_000_000).padStart(6, "0");
    expect((await pass(challenge.challengeId, { kind: "code", code: wrong }, ip, at)).outcome).toBe("wrong");
    expect((await pass(challenge.challengeId, { kind: "code", code: wrong }, ip, at)).outcome).toBe("wrong");
    const next = new Date(at.getTime() + STEP);
    const refused = await pass(challenge.challengeId, codeAt(staff.secret, next), ip, next);
    expect(refused).toEqual({ outcome: "rate-limited", retryAfterSeconds: 15 });
  });
});
