/**
 * The HTTP load generator of the consent benchmark, in a process of its own: `concurrency`
 * keep-alive connections (raw sockets), each sending its next request as soon as the previous answer
 * is complete, for a fixed time. It writes requests prepared beforehand and reads answers with a
 * minimal HTTP/1.1 parser (status, Content-Length or chunked), so that it spends far less CPU per
 * request than `http.request` does (no IncomingMessage, streams or header objects): on a 2-core
 * machine the load generator, the server and PostgreSQL share the cores, and a costly client lowers
 * every figure, the framework's ceiling included. Every route is measured with this same client.
 */
import { fork } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

export type LoadRequest = { method: string; path: string; apiKey: string | null; body?: string };

export type LoadResult = {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure?: string;
  /** The load generator's own CPU time over the phase, as a share of one core (1 = a whole core). */
  clientCpu: number;
  /** Every latency in ms, sorted. */
  latencies: Float64Array;
};

const CHILD = "ATTEST_BENCH_LOAD_CHILD";

type Job = { port: number; seconds: number; concurrency: number; requests: string[]; okStatus: number };

/** An HTTP/1.1 request as bytes on the wire (keep-alive is HTTP/1.1's default). */
export function wireRequest(port: number, r: LoadRequest): string {
  const body = r.body ?? "";
  return (
    `${r.method} ${r.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
    (r.apiKey ? `authorization: Bearer ${r.apiKey}\r\n` : "") +
    (r.body !== undefined ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` : "") +
    `\r\n${body}`
  );
}

/**
 * Sends `requests` (cycled through, in order) over `concurrency` connections for `seconds`, from a
 * child process, and reports throughput and nearest-rank p50/p99 of the time from writing a request
 * to reading the last byte of its answer. An answer whose status is not `okStatus` counts as a failure.
 */
export function load(port: number, seconds: number, concurrency: number, requests: LoadRequest[], okStatus = 200): Promise<LoadResult> {
  const job: Job = { port, seconds, concurrency, requests: requests.map((r) => wireRequest(port, r)), okStatus };
  return new Promise((resolve, reject) => {
    // The same loader flags as this process (tsx), and structured clone for the typed array.
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: process.execArgv, serialization: "advanced", env: { ...process.env, [CHILD]: "1" } });
    child.once("message", (result) => resolve(result as LoadResult));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the load generator exited with ${code}`)));
    child.send(job);
  });
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: ArrayLike<number>, p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const CRLF_CRLF = Buffer.from("\r\n\r\n");

/**
 * Where the answer at the start of `buf` ends (bytes), or -1 while it is incomplete. Understands
 * Content-Length and chunked bodies without trailers, which is what `next start` sends.
 */
function answerEnd(buf: Buffer): number {
  const headEnd = buf.indexOf(CRLF_CRLF);
  if (headEnd < 0) return -1;
  const head = buf.toString("latin1", 0, headEnd).toLowerCase();
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) {
    const end = headEnd + 4 + Number(length[1]);
    return buf.length >= end ? end : -1;
  }
  if (!/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) return headEnd + 4; // no body (204, 304)
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", at, "latin1");
    if (lineEnd < 0) return -1;
    const size = parseInt(buf.toString("latin1", at, lineEnd), 16);
    if (size === 0) return buf.length >= lineEnd + 4 ? lineEnd + 4 : -1;
    at = lineEnd + 2 + size + 2;
    if (at > buf.length) return -1;
  }
}

function runJob({ port, seconds, concurrency, requests, okStatus }: Job): Promise<LoadResult> {
  const wire = requests.map((r) => Buffer.from(r, "utf8"));
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const connection = (): Promise<void> =>
    new Promise((resolve, reject) => {
      let socket: net.Socket;
      let pending: Buffer | null = null;
      let sentAt = 0;
      let inFlight = false;
      const send = () => {
        if (performance.now() >= deadline) {
          socket.end();
          return resolve();
        }
        sentAt = performance.now();
        inFlight = true;
        socket.write(wire[next++ % wire.length]!);
      };
      const open = () => {
        socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
        socket.on("connect", send);
        socket.on("data", (chunk: Buffer) => {
          pending = pending ? Buffer.concat([pending, chunk]) : chunk;
          const end = answerEnd(pending);
          if (end < 0) return;
          const ms = performance.now() - sentAt;
          inFlight = false;
          if (count === latencies.length) {
            const grown = new Float64Array(latencies.length * 2);
            grown.set(latencies);
            latencies = grown;
          }
          latencies[count++] = ms;
          const status = Number(pending.toString("latin1", 9, 12));
          if (status !== okStatus) {
            failures += 1;
            if (firstFailure === undefined) {
              const headEnd = pending.indexOf(CRLF_CRLF);
              firstFailure = `${status} ${pending.toString("utf8", headEnd + 4, Math.min(end, headEnd + 304))}`;
            }
          }
          pending = end < pending.length ? pending.subarray(end) : null;
          send();
        });
        socket.on("error", (error) => (performance.now() >= deadline ? resolve() : reject(error)));
        // The server may close an idle or long-lived connection: open another and carry on.
        socket.on("close", () => {
          if (performance.now() < deadline && inFlight) {
            failures += 1;
            firstFailure ??= "connection closed before the answer";
          }
          if (performance.now() < deadline) {
            pending = null;
            open();
          } else resolve();
        });
      };
      open();
    });

  return Promise.all(Array.from({ length: concurrency }, connection)).then(() => {
    const elapsed = (performance.now() - started) / 1000;
    const sorted = latencies.slice(0, count).sort();
    const cpu = process.cpuUsage(cpuBefore);
    return summary(sorted, elapsed, failures, firstFailure, (cpu.user + cpu.system) / 1e6 / elapsed);
  });
}

function summary(sorted: Float64Array, seconds: number, failures: number, firstFailure: string | undefined, clientCpu: number): LoadResult {
  return { requests: sorted.length, seconds, perSecond: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures, firstFailure, clientCpu, latencies: sorted };
}

/** Several phases of one route as one: requests over total time, percentiles over every latency. */
export function combine(results: LoadResult[]): LoadResult {
  const all = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of results) {
    all.set(r.latencies, at);
    at += r.latencies.length;
  }
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  const clientCpu = results.reduce((c, r) => c + r.clientCpu * r.seconds, 0) / seconds;
  return summary(all.sort(), seconds, results.reduce((n, r) => n + r.failures, 0), results.find((r) => r.firstFailure)?.firstFailure, clientCpu);
}

if (process.env[CHILD] && process.send) {
  process.once("message", (job: Job) => {
    runJob(job).then(
      (result) => process.send!(result, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
