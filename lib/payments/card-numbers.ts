import type { z } from "zod";
import { luhnValid } from "./cards";

/**
 * Card data refused in free text (RULES.md F6, F2): a note, summary or customer's words holding a
 * card number or a security code next to its name is refused before it is stored, and the message
 * never repeats what was typed.
 */

export const CARD_NUMBER_IN_TEXT = "Remove the card number: card numbers may not be written in notes";
export const SECURITY_CODE_IN_TEXT = "Remove the security code: security codes may not be written in notes";

/** Runs of digits where single spaces or dashes may separate digits ("4111 1111-1111 1111"). */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

/**
 * Whether the text holds a 13–19-digit Luhn-valid number. Within one run of grouped digits, every
 * sequence of whole groups is tried, so a card number followed by other digits ("… 1111 737") is
 * still found; a long unbroken run is not searched inside (reference numbers, hashes).
 */
export function containsCardNumber(text: string): boolean {
  for (const run of text.match(DIGIT_RUN) ?? []) {
    const groups = run.split(/[ -]/);
    for (let start = 0; start < groups.length; start++) {
      let digits = "";
      for (let end = start; end < groups.length; end++) {
        digits += groups[end];
        if (digits.length > 19) break;
        if (digits.length >= 13 && luhnValid(digits)) return true;
      }
    }
  }
  return false;
}

/** "CVV 737", "security code: 1234", "cvc2 is 123": a 3–4-digit number right after a security code's name. */
const SECURITY_CODE = /\b(?:cvv2?|cvc2?|cid|csc|cv2|security\s+code|card\s+code)\b\W{0,3}(?:(?:is|was|=)\W{0,3})?\d{3,4}\b/i;

export function containsSecurityCode(text: string): boolean {
  return SECURITY_CODE.test(text);
}

export function containsCardData(text: string): boolean {
  return containsCardNumber(text) || containsSecurityCode(text);
}

/**
 * The refinement for every free-text field a person types: `.superRefine(refuseCardData)`. An empty
 * or absent value passes (the field's own rules decide whether it is required).
 */
export function refuseCardData(value: string | null | undefined, ctx: z.RefinementCtx): void {
  if (!value) return;
  if (containsCardNumber(value)) ctx.addIssue({ code: "custom", message: CARD_NUMBER_IN_TEXT });
  else if (containsSecurityCode(value)) ctx.addIssue({ code: "custom", message: SECURITY_CODE_IN_TEXT });
}
