import { randomUUID } from "node:crypto";
import { getDb } from "@/db/client";
import { zipAttachment } from "@/lib/api/attachment";
import { currentStaff } from "@/lib/auth";
import { ConflictError, ForbiddenError, NotFoundError, describeError } from "@/lib/errors";
import { packageForReview } from "@/lib/privacy-requests/access-package";

export const dynamic = "force-dynamic";

const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

/**
 * B7: the package awaiting release, for its reviewer (a supervisor or admin of the request's brand),
 * each download audited. Anyone else finds nothing here, as with the request's page.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const staff = await currentStaff();
  if (!staff) return new Response(null, { status: 303, headers: { location: "/signin", "cache-control": "no-store" } });
  const { id } = await params;
  try {
    const pkg = await packageForReview(await getDb(), staff, id);
    return zipAttachment(pkg.bytes, pkg.fileName);
  } catch (error) {
    // Outside their role, as with the request's page: nothing here.
    if (error instanceof ForbiddenError) return text(404, "Not found.");
    if (error instanceof NotFoundError) return text(404, error.message);
    if (error instanceof ConflictError) return text(409, error.message);
    const reference = randomUUID();
    console.error(`[package review download ${reference}] ${describeError(error)}`);
    return text(500, `Something went wrong. Please try again later. Reference: ${reference}`);
  }
}
