import "server-only";
import { randomUUID } from "node:crypto";
import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { getDb, type Db } from "@/db/client";
import type { StaffRole } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import { currentStaff } from "@/lib/auth";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError, describeError, fieldErrorsFromZod, type FieldError } from "@/lib/errors";
import { nullCharacterFields } from "@/lib/null-character";

/** What every server action answers, read with useActionState. */
export type ActionResult<T = unknown> =
  | { ok: true; data: T; message?: string }
  | { ok: false; formError?: string; fieldErrors?: Record<string, string> };

/**
 * FormData as a plain object for Zod: a field named `x[]` becomes an array (checkbox groups), every
 * other field its single value.
 */
export function formToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    if (key.startsWith("$ACTION")) continue;
    if (key.endsWith("[]")) out[key.slice(0, -2)] = form.getAll(key).map(String);
    else out[key] = String(form.get(key));
  }
  return out;
}

/** One message per field, as a sentence (domain messages read "must be …" after the field's name). */
function fieldMap(errors: FieldError[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const e of errors) map[e.path] ??= e.message.charAt(0).toUpperCase() + e.message.slice(1);
  return map;
}

/** Maps a domain error to the form's answer; anything unexpected is logged and shown generically. */
export function actionError(error: unknown): ActionResult<never> {
  if (error instanceof ValidationError) return { ok: false, formError: error.message, fieldErrors: fieldMap(error.fieldErrors) };
  if (error instanceof NotFoundError) return { ok: false, formError: "Not found, or not available to you." };
  if (error instanceof ForbiddenError || error instanceof ConflictError) return { ok: false, formError: error.message };
  if (error instanceof DomainError) return { ok: false, formError: error.message };
  const requestId = randomUUID();
  console.error(`[action ${requestId}] ${describeError(error)}`);
  return { ok: false, formError: `Something went wrong and nothing was saved. Reference: ${requestId}` };
}

type Options<S extends z.ZodType> = { roles: readonly StaffRole[]; schema: S };

/**
 * The one wrapper every staff server action goes through: it authenticates (session read fresh from
 * the database), authorizes by role, validates with the domain's Zod schema, and maps errors. Tenant
 * checks happen in the domain function it calls, which receives the actor. Forms post FormData;
 * queries (TanStack Query) pass a plain object.
 */
export function staffAction<S extends z.ZodType, T>(
  options: Options<S>,
  run: (input: z.output<S>, actor: StaffActor, db: Db) => Promise<T>,
) {
  return async (_previous: ActionResult<T> | null, input: FormData | Record<string, unknown>): Promise<ActionResult<T>> => {
    try {
      const actor = await currentStaff();
      if (!actor) return { ok: false, formError: "Your session has ended. Sign in again." };
      if (!options.roles.includes(actor.role)) return { ok: false, formError: "You are not allowed to do this." };
      const fields = input instanceof FormData ? formToObject(input) : input;
      const refused = nullCharacterFields(fields);
      if (refused.length > 0) return { ok: false, formError: "Please correct the highlighted fields.", fieldErrors: fieldMap(refused) };
      const parsed = options.schema.safeParse(fields);
      if (!parsed.success) {
        return { ok: false, formError: "Please correct the highlighted fields.", fieldErrors: fieldMap(fieldErrorsFromZod(parsed.error.issues)) };
      }
      const data = await run(parsed.data, actor, await getDb());
      return { ok: true, data };
    } catch (error) {
      unstable_rethrow(error);
      return actionError(error);
    }
  };
}
