import { randomUUID } from "node:crypto";
import { getDb } from "@/db/client";
import { zipAttachment } from "@/lib/api/attachment";
import { clientIp } from "@/lib/auth/request";
import { describeError } from "@/lib/errors";
import { DownloadLinkError, packageForDownload } from "@/lib/privacy-requests/access-package";

export const dynamic = "force-dynamic";

/**
 * The customer's package, while its link is valid: each download counted and audited with the
 * request's address. A link that cannot be used goes back to its page, which says why.
 */
export async function GET(request: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  const { token } = await params;
  try {
    const pkg = await packageForDownload(await getDb(), token, new Date(), { ip: clientIp(request.headers), userAgent: request.headers.get("user-agent") });
    return zipAttachment(pkg.bytes, pkg.fileName);
  } catch (error) {
    if (error instanceof DownloadLinkError) {
      return new Response(null, { status: 303, headers: { location: `/privacy/download/${encodeURIComponent(token)}`, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
    }
    const reference = randomUUID();
    console.error(`[package download ${reference}] ${describeError(error)}`);
    return new Response(`Something went wrong. Please try again later. Reference: ${reference}`, { status: 500, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
  }
}
