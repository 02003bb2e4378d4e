import type { FieldError } from "@/lib/errors";

/** An RFC 9457 problem answer. */
export function problem(
  status: number,
  title: string,
  detail?: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string>; type?: string } = {},
): Response {
  const body = {
    type: extra.type ?? "about:blank",
    title,
    status,
    ...(detail ? { detail } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...extra.headers },
  });
}

export const invalidInput = (errors: FieldError[], detail = "The request has invalid fields; each is listed in errors.") =>
  problem(400, "Invalid input", detail, { errors, type: "/problems/invalid-input" });
