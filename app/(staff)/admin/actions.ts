"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { apiKeyIdSchema, apiKeyRateLimitSchema, createApiKey, createApiKeySchema, revokeApiKey, setApiKeyRateLimit } from "@/lib/api-keys/api-keys";
import { createPurpose, createPurposeSchema, publishNotice, publishNoticeSchema, purposeUpdateSchema, updatePurpose } from "@/lib/consent/catalogue";
import { resetSecondFactor } from "@/lib/staff/second-factor";
import { createStaff, createStaffSchema, staffIdSchema, unlockStaff, updateStaff, updateStaffSchema } from "@/lib/staff/staff";
import { createTenant, createTenantSchema, updateTenant, updateTenantSchema } from "@/lib/tenants/tenants";
import { disableWebhookEndpoint, registerWebhookEndpoint, registerWebhookEndpointSchema, webhookEndpointIdSchema } from "@/lib/webhooks/webhooks";

const ADMIN = ["admin"] as const;

export const createStaffAction = staffAction({ roles: ADMIN, schema: createStaffSchema }, async (input, actor, db) => {
  await createStaff(db, actor, input);
  revalidatePath("/admin/staff");
  return { message: `${input.name} can now sign in as ${input.email}.` };
});

export const updateStaffAction = staffAction({ roles: ADMIN, schema: updateStaffSchema }, async (input, actor, db) => {
  await updateStaff(db, actor, input);
  revalidatePath("/admin/staff");
  return { message: "Saved. It applies from their next request." };
});

export const unlockStaffAction = staffAction({ roles: ADMIN, schema: staffIdSchema }, async (input, actor, db) => {
  await unlockStaff(db, actor, input.staffId);
  revalidatePath("/admin/staff");
  return { message: "Unlocked." };
});

export const resetSecondFactorAction = staffAction({ roles: ADMIN, schema: staffIdSchema }, async (input, actor, db) => {
  await resetSecondFactor(db, actor, input.staffId);
  revalidatePath("/admin/staff");
  return { message: "Two-step sign-in reset: they set it up again at their next sign-in." };
});

export const createTenantAction = staffAction({ roles: ADMIN, schema: createTenantSchema }, async (input, actor, db) => {
  const tenant = await createTenant(db, actor, input);
  revalidatePath("/admin/tenants");
  return { message: `Tenant ${tenant.name} created.` };
});

export const updateTenantAction = staffAction({ roles: ADMIN, schema: updateTenantSchema }, async (input, actor, db) => {
  await updateTenant(db, actor, input);
  revalidatePath("/admin/tenants");
  return { message: "Saved." };
});

/** The key is in the answer this once; it is stored only as a hash. */
export const createApiKeyAction = staffAction({ roles: ADMIN, schema: createApiKeySchema }, async (input, actor, db) => {
  const { key } = await createApiKey(db, actor, input);
  revalidatePath("/admin/api-keys");
  return { key, name: input.name };
});

export const revokeApiKeyAction = staffAction({ roles: ADMIN, schema: apiKeyIdSchema }, async (input, actor, db) => {
  await revokeApiKey(db, actor, input.apiKeyId);
  revalidatePath("/admin/api-keys");
  return { message: "Revoked. Calls with this key now answer 401." };
});

export const setApiKeyRateLimitAction = staffAction({ roles: ADMIN, schema: apiKeyRateLimitSchema }, async (input, actor, db) => {
  await setApiKeyRateLimit(db, actor, input);
  revalidatePath("/admin/api-keys");
  return { message: "Saved. It applies to this key's calls within a few seconds." };
});

/** The signing secret is in the answer this once; it is kept only sealed, for signing. */
export const registerWebhookEndpointAction = staffAction({ roles: ADMIN, schema: registerWebhookEndpointSchema }, async (input, actor, db) => {
  const { secret } = await registerWebhookEndpoint(db, actor, input);
  revalidatePath("/admin/webhooks");
  return { secret, url: input.url };
});

export const disableWebhookEndpointAction = staffAction({ roles: ADMIN, schema: webhookEndpointIdSchema }, async (input, actor, db) => {
  await disableWebhookEndpoint(db, actor, input.endpointId);
  revalidatePath("/admin/webhooks");
  return { message: "Disabled. Nothing more is sent to this endpoint." };
});

export const createPurposeAction = staffAction({ roles: ADMIN, schema: createPurposeSchema }, async ({ tenantId, ...input }, actor, db) => {
  const purpose = await createPurpose(db, actor, tenantId, input);
  revalidatePath("/admin/purposes");
  return { message: `Purpose ${purpose.name} (${purpose.key}) created.` };
});

export const updatePurposeAction = staffAction({ roles: ADMIN, schema: purposeUpdateSchema }, async (input, actor, db) => {
  const purpose = await updatePurpose(db, actor, input);
  revalidatePath("/admin/purposes");
  return { message: `${purpose.name} saved.` };
});

/** A published version never changes: the admin publishes the next one. */
export const publishNoticeAction = staffAction({ roles: ADMIN, schema: publishNoticeSchema }, async ({ tenantId, ...input }, actor, db) => {
  const notice = await publishNotice(db, actor, tenantId, input);
  revalidatePath("/admin/purposes");
  return { message: `Published version ${notice.version} (${notice.kind}, ${notice.language}) for ${notice.purposeKeys.join(", ")}.` };
});
