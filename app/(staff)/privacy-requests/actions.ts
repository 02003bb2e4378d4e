"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { staffAction } from "@/lib/action";
import { buildAccessPackage, reviewAndReleasePackage } from "@/lib/privacy-requests/access-package";
import { carryOutErasure } from "@/lib/privacy-requests/erasure";
import {
  assignRequest,
  assignSchema,
  completeRequest,
  completeSchema,
  confirmIdentity,
  confirmIdentitySchema,
  extendRequest,
  extendSchema,
  rejectRequest,
  rejectSchema,
  startWork,
  startWorkSchema,
} from "@/lib/privacy-requests/queue";

const SUPERVISORS = ["supervisor", "admin"] as const;

const target = { requestId: z.uuid("Unknown request"), version: z.coerce.number("Reload the page").int().positive() };
const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());

/** Every step of the queue answers the same way, and the request page shows the new state. */
function refreshed<T>(run: () => Promise<T>, message: string) {
  return run()
    .then(() => ({ message }))
    .finally(() => {
      revalidatePath("/privacy-requests", "layout");
    });
}

export const assignAction = staffAction({ roles: SUPERVISORS, schema: assignSchema }, (input, actor, db) => refreshed(() => assignRequest(db, actor, input), input.assigneeId ? "Assigned." : "Unassigned."));

export const confirmIdentityAction = staffAction({ roles: SUPERVISORS, schema: confirmIdentitySchema }, (input, actor, db) =>
  refreshed(() => confirmIdentity(db, actor, input), "Identity confirmed; the request is open."),
);

export const startWorkAction = staffAction({ roles: SUPERVISORS, schema: startWorkSchema }, (input, actor, db) => refreshed(() => startWork(db, actor, input), "Work started."));

export const extendAction = staffAction({ roles: SUPERVISORS, schema: extendSchema }, (input, actor, db) =>
  refreshed(() => extendRequest(db, actor, input), "Extended; the customer has been told why and the new date."),
);

export const rejectAction = staffAction({ roles: SUPERVISORS, schema: rejectSchema }, (input, actor, db) =>
  refreshed(() => rejectRequest(db, actor, input), "Refused; the response with the right to complain has been sent."),
);

export const completeAction = staffAction({ roles: SUPERVISORS, schema: completeSchema }, (input, actor, db) =>
  refreshed(() => completeRequest(db, actor, input), "Completed; the customer has been told."),
);

export const buildPackageAction = staffAction({ roles: SUPERVISORS, schema: z.object(target) }, (input, actor, db) =>
  refreshed(() => buildAccessPackage(db, actor, input), "Package built: review it, then release it."),
);

export const releasePackageAction = staffAction(
  {
    roles: SUPERVISORS,
    schema: z.object({ ...target, reviewNote: z.string("Write what you reviewed").trim().max(2000, "At most 2,000 characters"), thirdPartyDataReviewed: checkbox }),
  },
  (input, actor, db) => refreshed(() => reviewAndReleasePackage(db, actor, input), "Released: the customer has been sent a download link."),
);

export const carryOutErasureAction = staffAction({ roles: SUPERVISORS, schema: z.object({ ...target, confirm: checkbox.refine((v) => v, "Tick to confirm: erasure cannot be undone") }) }, (input, actor, db) =>
  refreshed(() => carryOutErasure(db, actor, input), "Erased; the customer has been told what was kept and why."),
);
