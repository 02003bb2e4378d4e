/**
 * Liveness for load balancers and orchestrators: the process is up and serving requests. It touches
 * no database on purpose, so a database outage does not take every replica out of rotation at once,
 * and the benchmark uses it as the framework's own ceiling for one request.
 */
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ ok: true }, { headers: { "cache-control": "no-store" } });
}
