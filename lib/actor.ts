import type { StaffRole } from "@/db/schema";
import { ForbiddenError, NotFoundError } from "./errors";

/** Who is acting. Every domain function takes one and checks it against the tenant it touches. */
export type StaffActor = {
  type: "staff";
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  /** May create tenants and assign staff to any tenant (see assertPlatformAdmin). */
  platformAdmin: boolean;
  tenantIds: string[];
  sessionId: string;
  ip: string | null;
};

export type ApiKeyActor = {
  type: "api_key";
  id: string;
  name: string;
  tenantId: string;
  scopes: string[];
  ip: string | null;
};

/** The product itself (seed, sweeps, sign-in checks); `ip` when it acts on a request. */
export type SystemActor = { type: "system"; label: string; ip?: string | null };

export type Actor = StaffActor | ApiKeyActor | SystemActor;

export const systemActor = (label: string, ip: string | null = null): SystemActor => ({ type: "system", label, ip });

/** The tenants whose customers this actor may see; null means all (the system itself). */
export function tenantScope(actor: Actor): string[] | null {
  if (actor.type === "staff") return actor.tenantIds;
  if (actor.type === "api_key") return [actor.tenantId];
  return null;
}

/**
 * Throws NotFound rather than Forbidden for another tenant's data: to an outsider it must look as
 * though the record does not exist.
 */
export function assertTenantAccess(actor: Actor, tenantId: string): void {
  const scope = tenantScope(actor);
  if (scope && !scope.includes(tenantId)) throw new NotFoundError();
}

export function assertRole(actor: Actor, ...roles: StaffRole[]): void {
  if (actor.type === "system") return;
  if (actor.type !== "staff" || !roles.includes(actor.role)) throw new ForbiddenError();
}

/**
 * The one rule of administration: an admin acts only on the tenants assigned to them, and another
 * tenant's settings, keys or staff look as though they did not exist. The system acts on every tenant.
 */
export function assertAdminOf(actor: Actor, tenantId: string): void {
  assertRole(actor, "admin");
  assertTenantAccess(actor, tenantId);
}

/** The tenants an admin administers (null: all, for the system); throws for anyone but an admin. */
export function adminScope(actor: Actor): string[] | null {
  assertRole(actor, "admin");
  return tenantScope(actor);
}

/**
 * The tenants an admin may give staff: their own, or any for a platform admin, who onboards tenants
 * and their first staff. Null means any.
 */
export function assignableTenantScope(actor: Actor): string[] | null {
  const scope = adminScope(actor);
  return actor.type === "staff" && actor.platformAdmin ? null : scope;
}

/** Creating tenants and making platform admins: a platform admin's (or the system's) alone. */
export function assertPlatformAdmin(actor: Actor): void {
  assertRole(actor, "admin");
  if (actor.type === "staff" && !actor.platformAdmin) throw new ForbiddenError("Only a platform admin may do this.");
}

export function actorLabel(actor: Actor): string {
  if (actor.type === "staff") return actor.email;
  if (actor.type === "api_key") return `api key ${actor.name}`;
  return actor.label;
}

export function actorId(actor: Actor): string | null {
  return actor.type === "system" ? null : actor.id;
}

export function actorIp(actor: Actor): string | null {
  return actor.ip ?? null;
}
