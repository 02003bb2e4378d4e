/**
 * The server the crash test (scripts/crash-test.ts) kills: the real route handlers of
 * POST /api/v1/consents and GET /api/v1/purposes behind node:http, with the outbox worker running
 * in-process as it does in `npm start`. It migrates and seeds an empty database first, as start.ts
 * does. GET /crash/outbox answers how many messages are still to deliver.
 */
import http from "node:http";
import { sql } from "drizzle-orm";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { getConnection, queryRows } from "@/db/client";
import { migrate } from "@/db/migrate";
import { seedDemo } from "@/db/seed";
import { env } from "@/lib/env";
import { startOutboxWorker } from "@/lib/notifications/worker";

async function main() {
  const connection = await getConnection();
  await migrate(connection);
  await seedDemo(connection.db);
  startOutboxWorker(getConnection, 100);
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.url === "/crash/outbox") {
        const [row] = await queryRows<{ n: number | string }>(
          connection.db,
          sql`select count(*) as n from outbox_messages where status <> 'delivered'`,
        );
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ undelivered: Number(row!.n) }));
        return;
      }
      const headers = new Headers(Object.entries(req.headers).map(([k, v]) => [k, String(v)] as [string, string]));
      const request = new Request(`http://localhost${req.url}`, {
        method: req.method,
        headers,
        body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
      });
      const handler = req.url === "/api/v1/consents" ? recordConsent : listPurposes;
      const response = await handler(request, { params: Promise.resolve({}) });
      res
        .writeHead(response.status, Object.fromEntries(response.headers))
        .end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  server.listen(env.PORT, "127.0.0.1", () => console.log("crash server ready"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
