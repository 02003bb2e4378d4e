import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useConnection } from "@/db/client";
import * as schema from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { demoNoticeText } from "@/db/demo-data";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { API_SCOPES, createApiKey, type ApiScope } from "@/lib/api-keys/api-keys";
import { customerByRef, freshCall } from "@/lib/payments/testing";
import { createStaff } from "@/lib/staff/staff";
import { apiRoutes, callRoute, serverActions, type ApiRoute, type ServerAction } from "./testing";

/**
 * The authorization matrix: every door found on disk (API routes, server actions) × every role
 * (agent, supervisor, admin; an API key with and without the door's scope) × own tenant / other
 * tenant, against one table of expectations below. A door on disk without a row in the table fails
 * the test, so a new door cannot ship without its rule.
 */

const signedIn = vi.hoisted(() => ({ staff: null as StaffActor | null }));
vi.mock("@/lib/auth", () => ({
  currentStaff: async () => signedIn.staff,
  signIn: async () => {},
  signOut: async () => {},
}));
vi.mock("next-auth", () => ({ AuthError: class extends Error {}, CredentialsSignin: class extends Error {} }));
vi.mock("next/headers", () => ({ headers: async () => new Headers() }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

type Role = "agent" | "supervisor" | "admin";
const ROLES: readonly Role[] = ["agent", "supervisor", "admin"];
const CALL_HANDLERS: readonly Role[] = ROLES;
const SUPERVISORS: readonly Role[] = ["supervisor", "admin"];
const ADMINS: readonly Role[] = ["admin"];

/** The objects of one tenant that a door's input names. */
type Target = Record<
  | "tenantId"
  | "tenantName"
  | "defaultCountry"
  | "rulePacks"
  | "customerId"
  | "ref"
  | "interactionId"
  | "requestId"
  | "eventId"
  | "noticeId"
  | "purposeId"
  | "apiKeyId"
  | "spareApiKeyId"
  | "endpointId"
  | "alertId"
  | "disputeId"
  | "paymentMethodId"
  | "subscriptionId"
  | "staffId",
  string
>;

type ActionRule = {
  /** Who may use the door at all (staffAction's roles); "public" for the sign-in and customer-link doors. */
  roles: readonly Role[] | "public";
  /**
   * The input that names one tenant's objects, so that the own-tenant row must pass and the other-tenant
   * row must be answered "not found". null: the door names no tenant's object (say why).
   */
  input: ((t: Target) => Record<string, string | string[]>) | null;
};

const inCall = (t: Target) => ({ interactionId: t.interactionId, customerId: t.customerId });
const onRequest = (t: Target) => ({ requestId: t.requestId, version: "1" });
const reason = "The customer asked for it on the call";

/** THE TABLE: every server action's rule. */
const ACTIONS: Record<string, ActionRule> = {
  "app/(auth)/signin/actions.ts#signInAction": { roles: "public", input: null }, // before anyone is known
  "app/(auth)/signin/actions.ts#secondFactorAction": { roles: "public", input: null }, // the sign-in challenge is the authority
  "app/(auth)/signin/actions.ts#continueAfterEnrolmentAction": { roles: "public", input: null }, // a signed session grant
  "app/(staff)/actions.ts#signOutAction": { roles: "public", input: null }, // ends the caller's own session
  "app/(staff)/account/security/actions.ts#enrolSecondFactorAction": { roles: ROLES, input: null }, // the actor's own sign-in
  "app/(staff)/account/security/actions.ts#regenerateRecoveryCodesAction": { roles: ROLES, input: null }, // the actor's own
  "app/consent/confirm/[token]/actions.ts#confirmConsentAction": { roles: "public", input: null }, // the signed link is the authority
  "app/consent/dispute/[token]/actions.ts#reportDisputeAction": { roles: "public", input: null }, // the signed link is the authority
  "app/(staff)/desk/actions.ts#searchCustomersAction": { roles: CALL_HANDLERS, input: null }, // searches the actor's own tenants only
  "app/(staff)/consent-audit/actions.ts#verifyLedgerAction": {
    roles: SUPERVISORS,
    input: (t) => ({ tenantId: t.tenantId }),
  },

  "app/(staff)/admin/actions.ts#createTenantAction": { roles: ADMINS, input: null }, // a new tenant belongs to no one yet
  "app/(staff)/admin/actions.ts#createStaffAction": {
    roles: ADMINS,
    input: (t) => ({
      email: `new-${t.tenantId.slice(0, 8)}@demo.test`,
      name: "New Agent",
      role: "agent",
      password: "a-long-enough-password-1",
      tenantIds: [t.tenantId],
    }),
  },
  "app/(staff)/admin/actions.ts#updateStaffAction": {
    roles: ADMINS,
    input: (t) => ({ staffId: t.staffId, name: "Renamed", role: "agent", active: "on", tenantIds: [t.tenantId] }),
  },
  "app/(staff)/admin/actions.ts#unlockStaffAction": { roles: ADMINS, input: (t) => ({ staffId: t.staffId }) },
  "app/(staff)/admin/actions.ts#resetSecondFactorAction": { roles: ADMINS, input: (t) => ({ staffId: t.staffId }) },
  "app/(staff)/admin/actions.ts#updateTenantAction": {
    roles: ADMINS,
    input: (t) => ({
      tenantId: t.tenantId,
      name: t.tenantName,
      defaultCountry: t.defaultCountry,
      rulePacks: t.rulePacks.split(","),
    }),
  },
  "app/(staff)/admin/actions.ts#createApiKeyAction": {
    roles: ADMINS,
    input: (t) => ({ tenantId: t.tenantId, name: "Matrix key", scopes: ["consent:read"] }),
  },
  "app/(staff)/admin/actions.ts#revokeApiKeyAction": { roles: ADMINS, input: (t) => ({ apiKeyId: t.spareApiKeyId }) },
  "app/(staff)/admin/actions.ts#setApiKeyRateLimitAction": {
    roles: ADMINS,
    input: (t) => ({ apiKeyId: t.apiKeyId, ratePerSecond: "50", rateBurst: "100" }),
  },
  "app/(staff)/admin/actions.ts#registerWebhookEndpointAction": {
    roles: ADMINS,
    input: (t) => ({
      tenantId: t.tenantId,
      url: "http://127.0.0.1:9/hook",
      description: "CRM",
      eventTypes: ["consent.changed"],
    }),
  },
  "app/(staff)/admin/actions.ts#disableWebhookEndpointAction": {
    roles: ADMINS,
    input: (t) => ({ endpointId: t.endpointId }),
  },
  "app/(staff)/admin/actions.ts#createPurposeAction": {
    roles: ADMINS,
    input: (t) => ({
      tenantId: t.tenantId,
      key: `matrix_${t.tenantId.slice(0, 4)}`,
      name: "Matrix",
      legalBasis: "consent",
      category: "marketing",
      channels: ["email"],
      reviewIntervalDays: "365",
    }),
  },
  "app/(staff)/admin/actions.ts#updatePurposeAction": {
    roles: ADMINS,
    input: (t) => ({
      tenantId: t.tenantId,
      purposeId: t.purposeId,
      name: "Marketing",
      legalBasis: "consent",
      category: "marketing",
      channels: ["email"],
      reviewIntervalDays: "365",
    }),
  },
  "app/(staff)/admin/actions.ts#publishNoticeAction": {
    roles: ADMINS,
    input: (t) => ({
      tenantId: t.tenantId,
      purposeKeys: ["marketing"],
      kind: "web",
      language: "en",
      text: demoNoticeText(t.tenantName, "Marketing", "web"),
    }),
  },

  "app/(staff)/alerts/actions.ts#closeAlertAction": {
    roles: SUPERVISORS,
    input: (t) => ({ alertId: t.alertId, note: "Reviewed with the agent" }),
  },
  "app/(staff)/alerts/actions.ts#closeDisputeAction": {
    roles: SUPERVISORS,
    input: (t) => ({ disputeId: t.disputeId, note: "Reviewed the recording", outcome: "upheld" }),
  },

  "app/(staff)/customers/[id]/actions.ts#startCallAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ customerId: t.customerId }),
  },
  "app/(staff)/customers/[id]/actions.ts#endCallAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ interactionId: t.interactionId, disposition: "resolved", summary: "Matrix call" }),
  },
  "app/(staff)/customers/[id]/actions.ts#sendCodeAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), channel: "email" }),
  },
  "app/(staff)/customers/[id]/actions.ts#checkCodeAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), code: "123456" }),
  },
  "app/(staff)/customers/[id]/actions.ts#checkKnowledgeAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), kind: "date_of_birth", answer: "1980-01-01" }),
  },
  "app/(staff)/customers/[id]/actions.ts#revealFieldAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), field: "email" }),
  },
  "app/(staff)/customers/[id]/actions.ts#updateProfileAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), version: "1", name: "Matrix Name" }),
  },
  "app/(staff)/customers/[id]/actions.ts#changeStatusAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), status: "inactive", reason }),
  },
  "app/(staff)/customers/[id]/actions.ts#passwordResetAction": { roles: CALL_HANDLERS, input: inCall },
  "app/(staff)/customers/[id]/actions.ts#resetMfaAction": { roles: CALL_HANDLERS, input: inCall },
  "app/(staff)/customers/[id]/actions.ts#securityQuestionAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), question: "First pet?", answer: "Rex the dog" }),
  },
  "app/(staff)/customers/[id]/actions.ts#recordConsentAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({
      ...inCall(t),
      purpose: "marketing",
      channel: "email",
      decision: "refuse",
      noticeId: t.noticeId,
      customerWords: "No thank you",
    }),
  },
  "app/(staff)/customers/[id]/actions.ts#objectionAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), customerWords: "Stop all marketing" }),
  },
  "app/(staff)/customers/[id]/actions.ts#revocationAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), channels: ["sms"], customerWords: "Stop texting me" }),
  },
  "app/(staff)/customers/[id]/preferences-actions.ts#updatePreferencesAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), version: "0", frequency: "monthly" }),
  },
  "app/(staff)/customers/[id]/privacy-actions.ts#logPrivacyRequestAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), type: "access", customerWords: "Send me my data" }),
  },
  "app/(staff)/customers/[id]/privacy-actions.ts#liftRestrictionAction": {
    roles: SUPERVISORS,
    input: (t) => ({ customerId: t.customerId, version: "1", reason }),
  },
  "app/(staff)/customers/[id]/payment-actions.ts#pauseRecordingAction": { roles: CALL_HANDLERS, input: inCall },
  "app/(staff)/customers/[id]/payment-actions.ts#resumeRecordingAction": { roles: CALL_HANDLERS, input: inCall },
  "app/(staff)/customers/[id]/payment-actions.ts#addCardAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({
      ...inCall(t),
      cardNumber: "4111111111111111",
      expiry: "12/40",
      securityCode: "123",
      holderName: "A Person",
    }),
  },
  "app/(staff)/customers/[id]/payment-actions.ts#addBankAccountAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), scheme: "iban", iban: "GB82WEST12345698765432", holderName: "A Person" }),
  },
  "app/(staff)/customers/[id]/payment-actions.ts#setDefaultPaymentMethodAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), paymentMethodId: t.paymentMethodId }),
  },
  "app/(staff)/customers/[id]/payment-actions.ts#removePaymentMethodAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), paymentMethodId: t.paymentMethodId }),
  },
  "app/(staff)/customers/[id]/payment-actions.ts#billingAddressAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({
      ...inCall(t),
      paymentMethodId: t.paymentMethodId,
      billingLine1: "1 High St",
      billingCity: "Leeds",
      billingPostcode: "LS1 1AA",
      billingCountry: "GB",
    }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#changePlanAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", planKey: "basic", confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#switchCycleAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", cycle: "yearly", confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#addAddOnAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", addOnKey: "extra", confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#removeAddOnAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", addOnKey: "extra", confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#pauseSubscriptionAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", reason, confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#resumeSubscriptionAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({ ...inCall(t), subscriptionId: t.subscriptionId, version: "1", confirm: "on" }),
  },
  "app/(staff)/customers/[id]/subscription-actions.ts#cancelSubscriptionAction": {
    roles: CALL_HANDLERS,
    input: (t) => ({
      ...inCall(t),
      subscriptionId: t.subscriptionId,
      version: "1",
      reason,
      when: "period_end",
      confirm: "on",
    }),
  },

  "app/(staff)/privacy-requests/actions.ts#assignAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), assigneeId: "" }),
  },
  "app/(staff)/privacy-requests/actions.ts#confirmIdentityAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), method: "verified_call", note: "Verified on the call" }),
  },
  "app/(staff)/privacy-requests/actions.ts#startWorkAction": { roles: SUPERVISORS, input: onRequest },
  "app/(staff)/privacy-requests/actions.ts#extendAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), reason: "Complex request with many records" }),
  },
  "app/(staff)/privacy-requests/actions.ts#rejectAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), ground: "excessive", reason: "The same request for the fifth time this month" }),
  },
  "app/(staff)/privacy-requests/actions.ts#completeAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), resolution: "Done as asked" }),
  },
  "app/(staff)/privacy-requests/actions.ts#buildPackageAction": { roles: SUPERVISORS, input: onRequest },
  "app/(staff)/privacy-requests/actions.ts#releasePackageAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), reviewNote: "Reviewed", thirdPartyDataReviewed: "on" }),
  },
  "app/(staff)/privacy-requests/actions.ts#carryOutErasureAction": {
    roles: SUPERVISORS,
    input: (t) => ({ ...onRequest(t), confirm: "on" }),
  },
};

/**
 * `scoped`: names another tenant's object by its id or ref, answered as not found. `namespace`: a ref
 * names a customer in the key's own tenant only (PUT creates it there), so another tenant's customer of
 * the same ref must stay untouched. `none`: the route answers about the key's tenant as a whole.
 */
type RouteRule = { scope: ApiScope; tenant: "scoped" | "namespace" | "none" };

/** THE TABLE: every API route's scope, and whether it names a tenant's object (its path or body). */
const ROUTES: Record<string, RouteRule> = {
  "GET /api/v1/customers/[ref]": { scope: "customers:read", tenant: "scoped" },
  "PUT /api/v1/customers/[ref]": { scope: "customers:write", tenant: "namespace" },
  "GET /api/v1/customers/[ref]/consents": { scope: "consent:read", tenant: "scoped" },
  "POST /api/v1/consents": { scope: "consent:write", tenant: "scoped" },
  "GET /api/v1/consents/[eventId]/receipt": { scope: "consent:read", tenant: "scoped" },
  "GET /api/v1/consents/verify": { scope: "audit:read", tenant: "none" },
  "GET /api/v1/consents/check": { scope: "consent:read", tenant: "scoped" },
  "POST /api/v1/consents/check": { scope: "consent:read", tenant: "scoped" },
  "GET /api/v1/purposes": { scope: "consent:read", tenant: "none" },
  "POST /api/v1/privacy-requests": { scope: "requests:write", tenant: "scoped" },
  "GET /api/v1/privacy-requests/[id]": { scope: "requests:write", tenant: "scoped" },
};
/** Paths that answer the same to anyone (the catch-all's 404). */
const OPEN_ROUTES = new Set(["/api/v1/[...path]"]);

/** Hundreds of calls a test: on PostgreSQL on a busy machine, longer than the default 30 s. */
const MATRIX_TIMEOUT_MS = 180_000;

const ROLE_DENIED = "You are not allowed to do this.";
const NOT_FOUND = "Not found, or not available to you.";
const SCHEMA_REFUSED = "Please correct the highlighted fields.";

type Outcome = "allow" | "deny";
type ActionAnswer = { ok?: boolean; formError?: string; fieldErrors?: Record<string, string> } | undefined;

function outcomeOf(answer: ActionAnswer): Outcome | { unreadable: unknown } {
  if (answer?.formError === SCHEMA_REFUSED) return { unreadable: answer.fieldErrors };
  return answer?.formError === ROLE_DENIED || answer?.formError === NOT_FOUND ? "deny" : "allow";
}

const toForm = (fields: Record<string, string | string[]>) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) for (const v of value) form.append(`${name}[]`, v);
    else form.append(name, value);
  }
  return form;
};

describe("the authorization matrix", () => {
  let t: TestDatabase;
  let routes: ApiRoute[];
  let actions: ServerAction[];
  const targets = {} as Record<"own" | "other", Target>;
  const actors = {} as Record<Role, StaffActor>;

  async function targetOf(
    tenantKey: "acme" | "globex",
    ref: string,
    caller: StaffActor,
    staffEmail: string,
  ): Promise<Target> {
    const tenantId = await tenantIdByKey(t.db, tenantKey);
    const customer = await customerByRef(t.db, tenantKey, ref);
    const call = await freshCall(t.db, caller, customer);
    const first = async <T extends { id: string }>(rows: Promise<T[]>) =>
      (await rows)[0]?.id ?? "00000000-0000-4000-8000-000000000000";
    const [tenant] = await t.db.select().from(schema.tenants).where(eq(schema.tenants.id, tenantId));
    // What the demo does not hold: an open alert, an open dispute and a webhook endpoint of this tenant.
    const [verification] = await t.db
      .select()
      .from(schema.verifications)
      .where(eq(schema.verifications.tenantId, tenantId))
      .limit(1);
    const fixture = { tenantId, customerId: customer.id, interactionId: call.id };
    await t.db
      .insert(schema.verificationAlerts)
      .values({ ...fixture, verificationId: verification?.id ?? call.id, agentId: caller.id, reason: "matrix" });
    await t.db.insert(schema.consentDisputes).values({ ...fixture, eventIds: [] });
    await t.db
      .insert(schema.webhookEndpoints)
      .values({
        tenantId,
        url: "https://crm.example/hook",
        description: "CRM",
        eventTypes: ["consent.changed"],
        secretSealed: "x",
      });
    return {
      tenantId,
      tenantName: tenant!.name,
      defaultCountry: tenant!.defaultCountry,
      rulePacks: (tenant!.rulePacks as string[]).join(","),
      customerId: customer.id,
      ref,
      interactionId: call.id,
      requestId: await first(
        t.db.select().from(schema.privacyRequests).where(eq(schema.privacyRequests.tenantId, tenantId)),
      ),
      eventId: await first(t.db.select().from(schema.consentEvents).where(eq(schema.consentEvents.tenantId, tenantId))),
      noticeId: await first(t.db.select().from(schema.notices).where(eq(schema.notices.tenantId, tenantId))),
      purposeId: await first(t.db.select().from(schema.purposes).where(eq(schema.purposes.tenantId, tenantId))),
      apiKeyId: await first(t.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.tenantId, tenantId))),
      // Revoked by its own row, so that the other rows' key stays active whatever the order.
      spareApiKeyId: (
        await createApiKey(t.db, systemActor("matrix"), { tenantId, name: "Spare", scopes: ["consent:read"] })
      ).id,
      endpointId: await first(
        t.db.select().from(schema.webhookEndpoints).where(eq(schema.webhookEndpoints.tenantId, tenantId)),
      ),
      alertId: await first(
        t.db.select().from(schema.verificationAlerts).where(eq(schema.verificationAlerts.tenantId, tenantId)),
      ),
      disputeId: await first(
        t.db.select().from(schema.consentDisputes).where(eq(schema.consentDisputes.tenantId, tenantId)),
      ),
      paymentMethodId: await first(
        t.db.select().from(schema.paymentMethods).where(eq(schema.paymentMethods.customerId, customer.id)),
      ),
      subscriptionId: await first(
        t.db.select().from(schema.subscriptions).where(eq(schema.subscriptions.customerId, customer.id)),
      ),
      staffId: (await t.db.select().from(schema.staffUsers).where(eq(schema.staffUsers.email, staffEmail)))[0]!.id,
    };
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    const acme = await tenantIdByKey(t.db, "acme");
    // Every actor works for acme only, and none is a platform admin: globex is the other tenant for each.
    const acmeOnly = async (email: string) => ({
      ...(await signedInStaff(t.db, email)),
      platformAdmin: false,
      tenantIds: [acme],
    });
    actors.agent = await acmeOnly("agent.acme@demo.test");
    actors.supervisor = await acmeOnly("supervisor@demo.test");
    actors.admin = await acmeOnly("admin@demo.test");
    const bothTenants = await signedInStaff(t.db, "agent@demo.test");
    // The other tenant's staff member works for globex alone (an acme admin may edit acme's part of staff
    // who work for both).
    const globex = await tenantIdByKey(t.db, "globex");
    const globexOnly = {
      email: "agent.globex@demo.test",
      name: "Globex Agent",
      role: "agent" as const,
      password: "a-long-enough-password-1",
    };
    await createStaff(t.db, systemActor("matrix"), { ...globexOnly, tenantIds: [globex] });
    targets.own = await targetOf("acme", "ACME-0003", bothTenants, "agent.acme@demo.test");
    targets.other = await targetOf("globex", "GLX-0003", bothTenants, globexOnly.email);
    routes = await apiRoutes();
    actions = await serverActions();
  });
  afterAll(() => t?.close());

  it("has a rule for every door on disk, and no rule for a door that is gone", () => {
    const onDisk = [
      ...actions.map((a) => a.id),
      ...routes
        .filter((r) => !OPEN_ROUTES.has(r.path))
        .flatMap((r) => Object.keys(r.methods).map((m) => `${m} ${r.path}`)),
    ].sort();
    expect(onDisk).toEqual([...Object.keys(ACTIONS), ...Object.keys(ROUTES)].sort());
  });

  it(
    "lets each role use a server action only as the table says, on its own tenant and never another's",
    async () => {
      const wrong: string[] = [];
      for (const { id, action } of actions) {
        const rule = ACTIONS[id]!;
        if (rule.roles === "public") continue;
        for (const role of ROLES) {
          for (const tenant of ["own", "other"] as const) {
            if (!rule.input && tenant === "other") continue;
            signedIn.staff = actors[role];
            const input = rule.input ? toForm(rule.input(targets[tenant])) : new FormData();
            const outcome = outcomeOf((await action(null, input)) as ActionAnswer);
            const allowed = rule.roles.includes(role) && tenant === "own";
            // Without an input, only the role is tried: a schema refusal means the role got through.
            const got = !rule.input && typeof outcome === "object" ? "allow" : outcome;
            const expected: Outcome = allowed ? "allow" : "deny";
            if (typeof got === "object")
              wrong.push(
                `${id} as ${role}, ${tenant} tenant: the table's input is refused ${JSON.stringify(got.unreadable)}`,
              );
            else if (got !== expected) wrong.push(`${id} as ${role}, ${tenant} tenant: ${got}, expected ${expected}`);
          }
        }
      }
      expect(wrong).toEqual([]);
    },
    MATRIX_TIMEOUT_MS,
  );

  it(
    "lets an API key use a route only with the route's scope, and only on its own tenant",
    async () => {
      const acme = targets.own.tenantId;
      // For each scope, a key with only that scope and a key with every scope but that one.
      const keys: Record<string, { key: string; scopes: ApiScope[] }> = {};
      for (const scope of API_SCOPES) {
        for (const [name, scopes] of [
          [`only ${scope}`, [scope]],
          [`all but ${scope}`, API_SCOPES.filter((s) => s !== scope)],
        ] as const) {
          keys[name] = {
            key: (
              await createApiKey(
                t.db,
                systemActor("matrix"),
                { tenantId: acme, name, scopes: [...scopes] },
                `matrix-${name.replaceAll(" ", "-")}`,
              )
            ).key,
            scopes: [...scopes],
          };
        }
      }
      const bodyFor = (path: string, target: Target): Record<string, unknown> | undefined =>
        ({
          "/api/v1/customers/[ref]": { name: "Matrix Name" },
          "/api/v1/consents": {
            customer: target.ref,
            purpose: "marketing",
            channel: "email",
            action: "withdraw",
            method: "web",
          },
          "/api/v1/consents/check": { checks: [{ customer: target.ref, purpose: "marketing", channel: "email" }] },
          "/api/v1/privacy-requests": { customer: target.ref, type: "access", channel: "web" },
        })[path];
      const wrong: string[] = [];
      let n = 0;
      const doors = routes
        .filter((r) => !OPEN_ROUTES.has(r.path))
        .flatMap((route) =>
          (Object.keys(route.methods) as (keyof ApiRoute["methods"])[]).map((method) => ({
            route,
            method,
            rule: ROUTES[`${method} ${route.path}`]!,
          })),
        )
        // Last, as it creates in acme the refs the other rows use to name globex's customers.
        .sort((a, b) => Number(a.rule.tenant === "namespace") - Number(b.rule.tenant === "namespace"));
      for (const { route, method, rule } of doors) {
        for (const [keyName, { key, scopes }] of Object.entries(keys)) {
          for (const tenant of ["own", "other"] as const) {
            if (rule.tenant === "none" && tenant === "other") continue;
            const target = targets[tenant];
            const body = method === "GET" ? undefined : JSON.stringify(bodyFor(route.path, target));
            const query =
              route.path === "/api/v1/consents/check" && method === "GET"
                ? `?customer=${target.ref}&purpose=marketing&channel=email`
                : "";
            const values = { ref: target.ref, eventId: target.eventId, id: target.requestId };
            const response = await callRoute(route, method, values, {
              query,
              body,
              headers: {
                authorization: `Bearer ${key}`,
                "content-type": "application/json",
                "idempotency-key": `matrix-${n++}`,
              },
            });
            const answer = (await response.json()) as { results?: { reason: string }[]; reason?: string };
            // A check of another tenant's customer answers "unknown_customer": existence is never revealed.
            const unknown = answer.reason === "unknown_customer" || answer.results?.[0]?.reason === "unknown_customer";
            const got: Outcome =
              response.status === 403 || response.status === 404 || response.status === 401 || unknown
                ? "deny"
                : "allow";
            const expected: Outcome =
              scopes.includes(rule.scope) && (tenant === "own" || rule.tenant === "namespace") ? "allow" : "deny";
            if (got !== expected)
              wrong.push(
                `${method} ${route.path} with key "${keyName}", ${tenant} tenant: ${response.status} ${got}, expected ${expected}`,
              );
          }
        }
      }
      expect(wrong).toEqual([]);
      const globexNamesake = await customerByRef(t.db, "globex", targets.other.ref);
      expect(globexNamesake.name).not.toBe("Matrix Name");
    },
    MATRIX_TIMEOUT_MS,
  );
});
