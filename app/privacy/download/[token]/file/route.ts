import { randomUUID } from "node:crypto";
import { getDb } from "@/db/client";
import { zipAttachment } from "@/lib/api/attachment";
import { clientIp } from "@/lib/auth/request";
import { describeError } from "@/lib/errors";
import { DownloadLinkError, packageForDownload } from "@/lib/privacy-requests/access-package";
import { customerLinkRefusal, withinCustomerLinkLimits } from "@/lib/rate-limit/customer-links";
import { RateLimitedError } from "@/lib/rate-limit/limiter";

export const dynamic = "force-dynamic";

/**
 * The customer's package, while its link is valid: each download counted and audited with the
 * request's address. A link that cannot be used goes back to its page, which says why; an address
 * over its limits (lib/rate-limit/customer-links.ts) is told how long to wait.
 */
export async function GET(request: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  const { token } = await params;
  try {
    const db = await getDb();
    const ip = clientIp(request.headers);
    const meta = { ip, userAgent: request.headers.get("user-agent") };
    const pkg = await withinCustomerLinkLimits(db, ip, () => packageForDownload(db, token, new Date(), meta));
    return zipAttachment(pkg.bytes, pkg.fileName);
  } catch (error) {
    if (error instanceof RateLimitedError) {
      return new Response(customerLinkRefusal(error), {
        status: 429,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": String(error.retryAfterSeconds) },
      });
    }
    if (error instanceof DownloadLinkError) {
      return new Response(null, { status: 303, headers: { location: `/privacy/download/${encodeURIComponent(token)}`, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
    }
    const reference = randomUUID();
    console.error(`[package download ${reference}] ${describeError(error)}`);
    return new Response(`Something went wrong. Please try again later. Reference: ${reference}`, { status: 500, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
}
