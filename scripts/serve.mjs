/**
 * The Next.js server that scripts/start.ts runs: `next start` (or `next dev` with --dev) behind one
 * addition. Next.js fills X-Forwarded-For from the socket only when a request has none, so a client
 * that writes its own would be believed. Here the socket's peer is appended to the header, as every
 * proxy does, so its rightmost entry is always the peer and lib/auth/request.ts counts the trusted
 * proxies (TRUSTED_PROXIES) from there. Plain JavaScript run by node: the server needs no compiling.
 *
 * Usage: node scripts/serve.mjs <port> [--dev]
 */
import { createServer } from "node:http";
import next from "next";

const port = Number(process.argv[2]);
const dev = process.argv.includes("--dev");
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("Usage: node scripts/serve.mjs <port> [--dev]");
  process.exit(2);
}

const server = createServer();
const app = next({ dev, port, hostname: "localhost", httpServer: server });
await app.prepare();
const handle = app.getRequestHandler();

server.on("request", (request, response) => {
  const forwarded = request.headers["x-forwarded-for"];
  // A socket already closed has no peer; "unknown" is no address, so the client is not believed either.
  const peer = request.socket.remoteAddress ?? "unknown";
  request.headers["x-forwarded-for"] = forwarded ? `${forwarded}, ${peer}` : peer;
  handle(request, response).catch((error) => {
    console.error(`Failed to handle request for ${request.url}`, error);
    response.statusCode = 500;
    response.end("Internal Server Error");
  });
});
server.listen(port, () => console.log(`Attest is serving on http://localhost:${port}${dev ? " (development)" : ""}`));

// Finish the requests in flight, then let Next.js close (it stops its file watchers in development).
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close(() => app.close().finally(() => process.exit(0)));
    if (dev) server.closeAllConnections();
  });
}
