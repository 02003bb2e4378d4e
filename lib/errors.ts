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
