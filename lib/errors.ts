/** Typed domain errors, mapped once per door: to a form message in actions, to problem+json in the API. */

export type FieldError = { path: string; message: string };

export class DomainError extends Error {}

export class ValidationError extends DomainError {
  constructor(
    readonly fieldErrors: FieldError[],
    message = "Some fields are not valid.",
  ) {
    super(message);
  }

  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** Also used for another tenant's objects, so that their existence is never revealed. */
export class NotFoundError extends DomainError {
  constructor(what = "Not found") {
    super(what);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = "You are not allowed to do this.") {
    super(message);
  }
}

export class ConflictError extends DomainError {
  constructor(
    message: string,
    readonly current?: unknown,
  ) {
    super(message);
  }
}

/** Turns Zod issues into our field errors, with dotted paths (`address.postcode`). */
export function fieldErrorsFromZod(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
}

type DatabaseFailure = { code: string; table?: string; constraint?: string; column?: string; routine?: string };

function isDatabaseFailure(error: unknown): error is DatabaseFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * An unexpected error as it may be logged or stored: the innermost cause only (wrappers such as
 * drizzle's "Failed query" repeat the statement and its parameters), with any given sensitive text
 * blanked out, and short. A database error is told by its SQLSTATE and the names of what it concerns,
 * never by its message, which can quote the offending value (an email, a phone number).
 */
export function describeError(error: unknown, { redact, maxLength = 500 }: { redact?: string; maxLength?: number } = {}): string {
  let cause = error;
  for (let depth = 0; depth < 10 && cause instanceof Error && cause.cause !== undefined; depth++) cause = cause.cause;
  let text: string;
  if (isDatabaseFailure(cause)) {
    const about = (["table", "constraint", "column", "routine"] as const).filter((k) => cause[k]).map((k) => `${k} ${cause[k]}`);
    text = `database error ${cause.code}${about.length ? ` (${about.join(", ")})` : ""}`;
  } else {
    text = cause instanceof Error ? cause.message : String(cause);
  }
  if (redact) text = text.replaceAll(redact, "[message body]");
  return text.slice(0, maxLength);
}
