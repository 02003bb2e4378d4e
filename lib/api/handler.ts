import "server-only";
import { randomUUID } from "node:crypto";
import { getDb, type Db } from "@/db/client";
import type { ApiKeyActor } from "@/lib/actor";
import { authenticateApiKey, type ApiScope } from "@/lib/api-keys/api-keys";
import { clientIp } from "@/lib/auth/request";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError, describeError } from "@/lib/errors";
import { RateLimitedError } from "@/lib/rate-limit/limiter";
import { nullCharacterFields } from "@/lib/null-character";
import { once, requestFingerprint, type StoredAnswer } from "./idempotency";
import { invalidInput, problem } from "./problem";
import { admitApiRequest, chargeApiRequest } from "./rate-limit";

const MAX_BODY_BYTES = 1024 * 1024;

export type ApiContext<P> = { request: Request; actor: ApiKeyActor; db: Db; params: P; body: unknown };

type Options = {
  scope: ApiScope;
  /** Reads a JSON body and honours Idempotency-Key. */ write?: boolean;
  /** Reads a JSON body without Idempotency-Key: a read that takes its question in the body (a batch check). */ readBody?: boolean;
  /** Largest body accepted (413 above it); 1 MiB unless said. */ maxBodyBytes?: number;
  /** What a request costs against its key's rate limit, from its body (a batch check); 1 unless said. */
  cost?: (body: unknown) => number;
};

/** A request larger than the endpoint takes (a batch over its limit): 413 problem+json. */
export class PayloadTooLargeError extends DomainError {}

function json(answer: StoredAnswer, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "content-type": "application/json", ...headers } });
}

function problemFor(error: unknown): Response {
  if (error instanceof ValidationError) return invalidInput(error.fieldErrors);
  if (error instanceof PayloadTooLargeError) return problem(413, "Payload too large", error.message);
  if (error instanceof NotFoundError) return problem(404, "Not found", error.message);
  if (error instanceof ForbiddenError) return problem(403, "Forbidden", error.message);
  if (error instanceof ConflictError) return problem(409, "Conflict", error.message);
  if (error instanceof RateLimitedError) {
    const headers = { "retry-after": String(error.retryAfterSeconds) };
    return problem(429, "Too many requests", error.message, { headers });
  }
  if (error instanceof DomainError) return problem(400, "Bad request", error.message);
  const requestId = randomUUID();
  console.error(`[api ${requestId}] ${describeError(error)}`);
  return problem(500, "Internal error", `Something went wrong and nothing was written. Reference: ${requestId}`);
}

/** The route, refusing first any NUL in its path parameters, query or body (400 naming each field). */
function refusingNullCharacters<P>(route: (ctx: ApiContext<P>) => Promise<StoredAnswer>) {
  return (ctx: ApiContext<P>) => {
    const query = [...new URL(ctx.request.url).searchParams].flatMap(([name, value]) => nullCharacterFields({ [name]: value }));
    const errors = [...nullCharacterFields(ctx.params), ...query, ...nullCharacterFields(ctx.body)];
    if (errors.length > 0) throw new ValidationError(errors);
    return route(ctx);
  };
}

/**
 * The one wrapper every public API route goes through: the bearer key (401 when missing or unknown),
 * its rate limit (429, with Retry-After), its scope (403), the JSON body (400 when unreadable),
 * Idempotency-Key for writes, and the mapping of domain errors to problem+json. The route itself
 * only calls the domain.
 */
export function apiRoute<P>(options: Options, route: (ctx: ApiContext<P>) => Promise<StoredAnswer>) {
  const run = refusingNullCharacters(route);
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const db = await getDb();
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      const challenge = { headers: { "www-authenticate": 'Bearer realm="attest"' } };
      if (!bearer) return problem(401, "Unauthorized", "Send your API key as 'Authorization: Bearer <key>'.", challenge);
      const actor = await authenticateApiKey(db, bearer, clientIp(request.headers));
      if (!actor) return problem(401, "Unauthorized", "The API key is unknown or has been revoked.", challenge);
      await admitApiRequest(db, actor);
      if (!actor.scopes.includes(options.scope)) {
        return problem(403, "Forbidden", `This API key does not have the scope '${options.scope}'.`);
      }
      const params = await context.params;
      if (!options.write && !options.readBody) return json(await run({ request, actor, db, params, body: undefined }));

      const raw = await request.text();
      const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
      if (Buffer.byteLength(raw) > maxBodyBytes) return problem(413, "Payload too large", `The body may be at most ${maxBodyBytes / (1024 * 1024)} MiB.`);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return invalidInput([{ path: "(body)", message: "is not valid JSON" }], "The body must be a JSON object.");
      }
      if (options.cost) await chargeApiRequest(db, actor, options.cost(body));
      const key = request.headers.get("idempotency-key");
      if (key === null || !options.write) return json(await run({ request, actor, db, params, body }));
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
        return invalidInput([{ path: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters" }]);
      }
      const fingerprint = requestFingerprint(request.method, new URL(request.url).pathname, raw);
      const answer = await once(db, actor.tenantId, key, fingerprint, (tx) => run({ request, actor, db: tx, params, body }));
      return json(answer, answer.replayed ? { "idempotent-replayed": "true" } : {});
    } catch (error) {
      return problemFor(error);
    }
  };
}
