import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useConnection } from "@/db/client";
import { consentEvents, privacyRequests } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { customerByRef, freshCall } from "@/lib/payments/testing";
import { apiRoutes, callRoute, encodeUrlPart, serverActions, type ApiRoute, type ServerAction } from "./testing";

/**
 * The bad-input sweep: every route under /api/v1 and every server action, found on disk, gets
 * malformed, oversized, wrongly typed and hostile values. No answer may be a 5xx (an API answer for
 * bad input is a 4xx problem+json), and no action may throw or log an unexpected error.
 */

// The doors ask lib/auth who is signed in; here, a real seeded staff member (see beforeAll).
const signedIn = vi.hoisted(() => ({ staff: null as StaffActor | null }));
vi.mock("@/lib/auth", async () => {
  const { CredentialsSignin } = await import("next-auth");
  const { grantedSession } = await import("@/lib/auth/session-grant");
  return {
    currentStaff: async () => signedIn.staff,
    // The session cookie as Auth.js writes it for the staff-session provider: only for a valid grant.
    startStaffSession: async (session: { sessionId: string } | { grant: string }) => {
      if ("grant" in session && !grantedSession(session.grant)) throw new CredentialsSignin();
    },
    signOut: async () => {},
  };
});
// Auth.js itself does not load outside Next; the sign-in action needs only its error classes.
vi.mock("next-auth", () => {
  class AuthError extends Error {}
  class CredentialsSignin extends AuthError {}
  return { AuthError, CredentialsSignin };
});
// Outside a request, Next has no headers and no cache to revalidate.
vi.mock("next/headers", () => ({ headers: async () => new Headers({ "user-agent": "bad-input sweep" }) }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const TEXT: Record<string, string> = {
  nul: "a\0b",
  "10k characters": "x".repeat(10_000),
  emoji: "🙂👩‍👩‍👧‍👦🏳️‍🌈".repeat(40),
  "lone surrogate": "\ud800x",
  "right-to-left override": "\u202eabc\u0007",
  "SQL fragment": "' OR 1=1; DROP TABLE customers; --",
  "path fragment": "../../../etc/passwd%00",
  "percent-encoded NUL": "%00",
  empty: "",
  "impossible date": "2026-02-30",
  "nil uuid": "00000000-0000-0000-0000-000000000000",
};

/** The values also put in every field of a form, ids included (the rest go beside real ids, to reach the domain). */
const EVERY_FIELD = new Set(["nul", "10k characters", "SQL fragment"]);

/** JSON values of the wrong type for any field. */
const WRONG_TYPES: Record<string, unknown> = {
  array: ["a", "b"],
  object: { a: 1 },
  number: 1e308,
  "negative number": -1,
  boolean: true,
  null: null,
  "deep nesting": JSON.parse(`${"[".repeat(1_000)}${"]".repeat(1_000)}`),
};

// The fields the API reads (API.md), so that hostile values reach the schemas rather than stop at "missing".
const BODY_FIELDS = [
  "customer",
  "purpose",
  "channel",
  "action",
  "method",
  "notice",
  "occurredAt",
  "contactPoint",
  "evidence",
  "name",
  "email",
  "phone",
  "address",
  "dateOfBirth",
  "language",
  "checks",
  "at",
  "type",
  "receivedAt",
];
const QUERY_FIELDS = ["customer", "purpose", "channel", "at"];
const ACME_KEY = "demo-acme-api-key";
/** Hundreds of requests a test: on PostgreSQL on a busy machine, longer than the default 30 s. */
const SWEEP_TIMEOUT_MS = 180_000;

const bodyOf = (value: unknown) => ({
  ...Object.fromEntries(BODY_FIELDS.map((field) => [field, value])),
  address: { line1: value, line2: value, city: value, region: value, postcode: value, country: value },
  evidence: { ip: value, userAgent: value, text: value },
  checks: [{ customer: value, purpose: value, channel: value }],
});
const queryOf = (value: string) => `?${QUERY_FIELDS.map((f) => `${f}=${encodeUrlPart(value)}`).join("&")}`;

type Answer = { door: string; case: string; status: number; type: string | null };

describe("the bad-input sweep", () => {
  let t: TestDatabase;
  let routes: ApiRoute[];
  let actions: ServerAction[];
  let realIds: Record<string, string>;
  let errorLog: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    signedIn.staff = await signedInStaff(t.db, "admin@demo.test");
    const ann = await customerByRef(t.db, "acme", "ACME-0001");
    const call = await freshCall(t.db, signedIn.staff, ann);
    const [event] = await t.db
      .select({ id: consentEvents.id })
      .from(consentEvents)
      .where(eq(consentEvents.tenantId, ann.tenantId))
      .limit(1);
    const [request] = await t.db
      .select({ id: privacyRequests.id })
      .from(privacyRequests)
      .where(eq(privacyRequests.tenantId, ann.tenantId))
      .limit(1);
    realIds = {
      ref: ann.ref,
      eventId: event!.id,
      id: request!.id,
      requestId: request!.id,
      customerId: ann.id,
      interactionId: call.id,
      tenantId: await tenantIdByKey(t.db, "acme"),
      staffId: signedIn.staff.id,
      version: "1",
    };
    routes = await apiRoutes();
    actions = await serverActions();
    errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterAll(async () => {
    errorLog?.mockRestore();
    await t?.close();
  });

  it("finds the doors on disk", () => {
    expect(routes.map((r) => r.path)).toContain("/api/v1/consents");
    expect(routes.map((r) => r.path)).toContain("/api/v1/[...path]");
    expect(actions.map((a) => a.id)).toContain("app/(staff)/customers/[id]/actions.ts#updateProfileAction");
    expect(actions.length).toBeGreaterThan(40);
  });

  it(
    "answers every hostile request to every API route with a 4xx problem+json, never a 5xx",
    async () => {
      const answers: Answer[] = [];
      const headers = { authorization: `Bearer ${ACME_KEY}`, "content-type": "application/json" };
      let key = 0;
      const send = async (
        route: ApiRoute,
        method: keyof ApiRoute["methods"],
        label: string,
        values: Record<string, string>,
        init: Parameters<typeof callRoute>[3],
      ) => {
        const response = await callRoute(route, method, values, {
          ...init,
          headers: { ...headers, "idempotency-key": `sweep-${key++}`, ...init?.headers },
        });
        answers.push({
          door: `${method} ${route.path}`,
          case: label,
          status: response.status,
          type: response.headers.get("content-type"),
        });
        await response.arrayBuffer();
      };
      for (const route of routes) {
        for (const method of Object.keys(route.methods) as (keyof ApiRoute["methods"])[]) {
          const takesBody = method !== "GET" && method !== "HEAD";
          for (const [label, text] of Object.entries(TEXT)) {
            const hostile = Object.fromEntries(route.params.map((p) => [p.name, text]));
            const body = takesBody ? JSON.stringify(bodyOf(text)) : undefined;
            await send(route, method, `${label} in the path`, hostile, { query: queryOf(text), body });
            await send(route, method, `${label} in the query and body`, realIds, { query: queryOf(text), body });
          }
          if (!takesBody) continue;
          for (const [label, value] of Object.entries(WRONG_TYPES)) {
            await send(route, method, `${label} for every field`, realIds, { body: JSON.stringify(bodyOf(value)) });
            await send(route, method, `${label} as the body`, realIds, { body: JSON.stringify(value) });
          }
          await send(route, method, "nesting deeper than a parser's stack", realIds, {
            body: `${"[".repeat(200_000)}${"]".repeat(200_000)}`,
          });
          await send(route, method, "invalid JSON", realIds, { body: '{"customer": "ACME-0001",' });
          await send(route, method, "wrong content type", realIds, {
            body: "customer=ACME-0001",
            headers: { "content-type": "application/x-www-form-urlencoded" },
          });
          await send(route, method, "8 MB body", realIds, {
            body: JSON.stringify({ name: "x".repeat(8 * 1024 * 1024) }),
          });
          await send(route, method, "overlong Idempotency-Key", realIds, {
            body: "{}",
            headers: { "idempotency-key": "k".repeat(300) },
          });
        }
      }
      const serverErrors = answers.filter((a) => a.status >= 500);
      const notProblems = answers.filter((a) => a.status >= 400 && a.type !== "application/problem+json");
      expect(answers.length).toBeGreaterThan(routes.length * 30);
      expect(serverErrors).toEqual([]);
      expect(notProblems).toEqual([]);
      expect(errorLog).not.toHaveBeenCalled();
    },
    SWEEP_TIMEOUT_MS,
  );

  it("refuses NUL in a path, query or body value with a 400 naming the field", async () => {
    const customer = routes.find((r) => r.path === "/api/v1/customers/[ref]")!;
    const check = routes.find((r) => r.path === "/api/v1/consents/check")!;
    const headers = { authorization: `Bearer ${ACME_KEY}`, "content-type": "application/json" };
    const cases = [
      { response: await callRoute(customer, "GET", { ref: "\0" }, { headers }), path: "ref" },
      {
        response: await callRoute(
          check,
          "GET",
          {},
          { headers, query: "?customer=ACME-0001&purpose=marketing&channel=em%00ail" },
        ),
        path: "channel",
      },
      {
        response: await callRoute(customer, "PUT", realIds, {
          headers,
          body: JSON.stringify({ name: "Ann", address: { line1: "1\0" } }),
        }),
        path: "address.line1",
      },
    ];
    for (const { response, path } of cases) {
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect((await response.json()).errors).toEqual([{ path, message: "must not contain a null character" }]);
    }
  });

  it("answers an unknown path under /api/v1 with a 404 problem+json, whatever the method", async () => {
    const unknown = routes.find((r) => r.path === "/api/v1/[...path]")!;
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
      const response = await callRoute(
        unknown,
        method,
        { path: "customers/ACME-0001/nothing" },
        { body: method === "GET" ? undefined : "{}" },
      );
      expect(response.status, method).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ status: 404, title: "Not found" });
    }
  });

  it(
    "answers every hostile form to every server action with a result, never a throw or a logged error",
    async () => {
      const fieldNames = new Set<string>();
      // Required fields are the ones an empty form is told about; the rest come from every form in the UI.
      for (const { action } of actions) {
        const answer = (await action(null, new FormData()).catch(() => null)) as {
          fieldErrors?: Record<string, string>;
        } | null;
        for (const name of Object.keys(answer?.fieldErrors ?? {})) fieldNames.add(name.split(".")[0]!);
      }
      for (const name of [
        "q",
        "note",
        "reason",
        "text",
        "email",
        "password",
        "token",
        "next",
        "name",
        "phone",
        "answer",
        "code",
        "cardNumber",
        "iban",
      ]) {
        fieldNames.add(name);
      }
      const failures: { door: string; case: string; problem: string }[] = [];
      const attempt = async (
        { id, action }: ServerAction,
        label: string,
        input: FormData | Record<string, unknown>,
      ) => {
        errorLog.mockClear();
        try {
          const answer = (await action(null, input)) as { ok?: unknown } | null | undefined;
          // Sign-in answers { error } and sign-out nothing; every staff action answers { ok }.
          if (answer && "ok" in answer && typeof answer.ok !== "boolean")
            failures.push({ door: id, case: label, problem: "no ok" });
        } catch (error) {
          const digest = (error as { digest?: unknown } | null)?.digest;
          if (!(typeof digest === "string" && digest.startsWith("NEXT_REDIRECT")))
            failures.push({ door: id, case: label, problem: String(error) });
        }
        if (errorLog.mock.calls.length > 0)
          failures.push({ door: id, case: label, problem: String(errorLog.mock.calls[0]) });
      };
      const form = (value: (name: string) => string | string[]) => {
        const data = new FormData();
        for (const name of fieldNames) {
          const v = value(name);
          for (const item of Array.isArray(v) ? v : [v]) {
            data.append(name, item);
            data.append(`${name}[]`, item);
          }
        }
        return data;
      };
      for (const door of actions) {
        for (const [label, text] of Object.entries(TEXT)) {
          if (EVERY_FIELD.has(label))
            await attempt(
              door,
              `${label} in every field`,
              form(() => text),
            );
          await attempt(
            door,
            `${label} beside real ids`,
            form((name) => realIds[name] ?? text),
          );
        }
        await attempt(
          door,
          "a field posted twice",
          form((name) => realIds[name] ?? ["a", "b"]),
        );
        for (const [label, value] of Object.entries(WRONG_TYPES)) {
          const input = Object.fromEntries([...fieldNames].map((name) => [name, realIds[name] ?? value]));
          await attempt(door, `${label} for every field (a query's plain object)`, input);
        }
      }
      expect(failures).toEqual([]);
    },
    SWEEP_TIMEOUT_MS,
  );
});
