import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { interactions } from "@/db/schema";
import { tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ValidationError } from "@/lib/errors";
import { CARD_NUMBER_IN_TEXT, SECURITY_CODE_IN_TEXT, containsCardNumber, containsSecurityCode } from "./card-numbers";

/**
 * The domain's own refusal of card data in a call's free text (RULES.md F6), for doors whose text
 * reaches the domain: the text is refused and the attempt is logged as a security event in a
 * transaction of its own (so that it stays when the change is refused), naming the field, never the
 * value. Call it before the change's transaction.
 */
export async function refuseCardDataInCallText(db: Db, actor: Actor, interactionId: string, field: string, text: string | null | undefined): Promise<void> {
  if (!text) return;
  const cardNumber = containsCardNumber(text);
  if (!cardNumber && !containsSecurityCode(text)) return;
  const scope = tenantScope(actor);
  const [call] = /^[0-9a-f-]{36}$/i.test(interactionId) ? await db.select().from(interactions).where(eq(interactions.id, interactionId)) : [];
  if (call && (!scope || scope.includes(call.tenantId))) {
    await db.transaction((tx) =>
      recordAudit(tx, actor, {
        tenantId: call.tenantId,
        action: "security.card_number_refused",
        entityType: "interaction",
        entityId: call.id,
        customerId: call.customerId,
        interactionId: call.id,
        after: { field, found: cardNumber ? "card number" : "security code" },
        outcome: "failure",
      }),
    );
  }
  throw ValidationError.field(field, cardNumber ? CARD_NUMBER_IN_TEXT : SECURITY_CODE_IN_TEXT);
}
