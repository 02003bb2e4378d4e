import { problem } from "@/lib/api/problem";

/**
 * Any path under /api/v1 that no route serves: a 404 problem+json, as every other API answer is,
 * instead of the app's HTML page (a client parsing JSON would fail on it). Next derives HEAD and
 * OPTIONS from these.
 */
function unknownPath(): Response {
  return problem(404, "Not found", "This API has no such path. The paths are listed in API.md.");
}

export { unknownPath as DELETE, unknownPath as GET, unknownPath as PATCH, unknownPath as POST, unknownPath as PUT };
