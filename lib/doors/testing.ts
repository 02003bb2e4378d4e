import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Every door of the app, found on disk, for the tests that must cover all of them (the bad-input
 * sweep, the authorization matrix): a route or action added later is covered without anyone
 * remembering it, as db/testing/every-column.ts does for tables.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

type RouteHandler = (
  request: Request,
  context: { params: Promise<Record<string, string | string[]>> },
) => Promise<Response> | Response;

/** One route file under app/api/v1, as `/api/v1/customers/[ref]`, with its dynamic segments. */
export type ApiRoute = {
  path: string;
  params: { name: string; catchAll: boolean }[];
  methods: Partial<Record<(typeof HTTP_METHODS)[number], RouteHandler>>;
};

/** One exported server action, as `app/(staff)/admin/actions.ts#createStaffAction`. */
export type ServerAction = {
  id: string;
  action: (previous: unknown, input: FormData | Record<string, unknown>) => Promise<unknown>;
};

function filesUnder(dir: string): string[] {
  return (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).map((file) => path.join(dir, file));
}

export async function apiRoutes(): Promise<ApiRoute[]> {
  const files = filesUnder("app/api/v1")
    .filter((file) => path.basename(file) === "route.ts")
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const exported = (await import(path.join(ROOT, file))) as Record<string, unknown>;
      const routePath = `/${path.dirname(file).split(path.sep).slice(1).join("/")}`;
      const params = [...routePath.matchAll(/\[(\.\.\.)?(\w+)\]/g)].map((m) => ({
        name: m[2]!,
        catchAll: Boolean(m[1]),
      }));
      const methods = Object.fromEntries(
        HTTP_METHODS.filter((m) => typeof exported[m] === "function").map((m) => [m, exported[m] as RouteHandler]),
      );
      return { path: routePath, params, methods };
    }),
  );
}

/** The modules that start with "use server": every function they export is a door anyone can post to. */
export async function serverActions(): Promise<ServerAction[]> {
  const files = ["app", "components", "lib"]
    .flatMap(filesUnder)
    .filter((file) => /\.tsx?$/.test(file) && !file.endsWith(".test.ts"))
    .filter((file) => /^\s*["']use server["']/.test(readFileSync(path.join(ROOT, file), "utf8")))
    .sort();
  const actions: ServerAction[] = [];
  for (const file of files) {
    const exported = (await import(path.join(ROOT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported).sort()) {
      if (typeof value !== "function") continue;
      // A plain form action (`<form action={…}>`) takes the form alone; one read with useActionState
      // takes the previous state first. Both are called here as (previous, input).
      const action =
        value.length === 1 ? (_previous: unknown, input: FormData | Record<string, unknown>) => value(input) : value;
      actions.push({ id: `${file}#${name}`, action: action as ServerAction["action"] });
    }
  }
  return actions;
}

/** As a client encodes a URL: a lone surrogate cannot be, and becomes U+FFFD. */
export const encodeUrlPart = (value: string) => encodeURIComponent(value.replace(/\p{Cs}/gu, "\ufffd"));

/** A request to a route handler as Next would make it, with the path's parameters filled in. */
export function callRoute(
  route: ApiRoute,
  method: keyof ApiRoute["methods"],
  values: Record<string, string>,
  init: { query?: string; headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<Response> {
  const handler = route.methods[method]!;
  const params: Record<string, string | string[]> = {};
  let url = route.path;
  for (const { name, catchAll } of route.params) {
    const value = values[name] ?? "x";
    params[name] = catchAll ? value.split("/") : value;
    url = url.replace(
      catchAll ? `[...${name}]` : `[${name}]`,
      catchAll ? value.split("/").map(encodeUrlPart).join("/") : encodeUrlPart(value),
    );
  }
  const request = new Request(`http://localhost${url}${init.query ?? ""}`, {
    method,
    headers: init.headers,
    body: init.body,
  });
  return Promise.resolve(handler(request, { params: Promise.resolve(params) }));
}
