import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { outboxMessages } from "@/db/schema";
import { everyTableAsText } from "@/db/testing/every-column";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { endCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { addCard, addCardSchema, pauseRecording, paymentMethodsOf, removePaymentMethod, setDefaultPaymentMethod } from "./payment-methods";
import { customerByRef, freshCall, verifyStrongly } from "./testing";

/**
 * RULES.md F1–F4 and issue 5: run the payment journeys with the test card numbers and security code,
 * then search everything the product wrote (every column of every table as text, the outbox bodies
 * unsealed, the process's output, the errors it answered) for them in any spacing: zero hits.
 */

const VISA = "4111 1111 1111 1111";
const MASTERCARD = "5555 5555 5555 4444";
const CODE = "737";

/** A number in any spacing: its digits with spaces or dashes allowed between any two. */
const anySpacing = (number: string) => new RegExp(number.replace(/\D/g, "").split("").join("[\\s-]*"));
const NUMBERS = [anySpacing(VISA), anySpacing(MASTERCARD)];
/** The security code where it would betray itself: next to a card word, or as a token of its own. */
const CODE_IN_CONTEXT = new RegExp(`(?:cvv|cvc|cv2|csc|security[ _]?code|securityCode|code)\\W{0,20}${CODE}(?!\\d)|(?<!\\d)${CODE}\\W{0,20}(?:cvv|cvc|security)`, "i");
const CODE_AS_TOKEN = new RegExp(`(?<![\\w.:+-])${CODE}(?![\\w.:-])`);

function hits(text: string, { codeAsToken = false } = {}): string[] {
  const found = NUMBERS.filter((re) => re.test(text)).map(String);
  if (CODE_IN_CONTEXT.test(text)) found.push("security code in context");
  if (codeAsToken && CODE_AS_TOKEN.test(text)) found.push("security code as a token");
  return found;
}

/** Every column of every table as text, each searched for the numbers (and the code, strictly where card data could land). */
async function searchDatabase(db: Db): Promise<{ table: string; found: string[] }[]> {
  return (await everyTableAsText(db)).map(({ table, text }) => {
    // Payment and audit rows are held to the stricter test: not even the code alone.
    const strict = /payment|vault|recording|audit|outbox|interaction/.test(table);
    return { table, found: hits(text, { codeAsToken: strict }) };
  });
}

describe("card data leak search", () => {
  let t: TestDatabase;
  const captured: string[] = [];
  const restore: (() => void)[] = [];

  function capture() {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        captured.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = write));
    }
    for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        captured.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
        original(...args);
      };
      restore.push(() => (console[level] = original));
    }
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
  });
  afterAll(async () => {
    for (const r of restore.splice(0)) r();
    await t?.close();
  });

  it("the search finds a planted number, in a table and in text, so it cannot pass by finding nothing", async () => {
    await t.db.execute(sql`create table leak_probe (id int, note text, data jsonb)`);
    await t.db.execute(sql`insert into leak_probe values (1, 'paid with 4111-1111 1111-1111', '{"securityCode": "737"}')`);
    const planted = (await searchDatabase(t.db)).filter((r) => r.found.length);
    expect(planted).toEqual([{ table: '"public"."leak_probe"', found: [String(NUMBERS[0]), "security code in context"] }]);
    await t.db.execute(sql`drop table leak_probe`);
    expect(hits("card 5555555555554444")).toEqual([String(NUMBERS[1])]);
    expect(hits("CVV: 737")).toEqual(["security code in context"]);
    expect(hits("ref 737 end", { codeAsToken: true })).toEqual(["security code as a token"]);
    expect(hits("4111 1111 1111 1112, 07:37, id 9737a")).toEqual([]);
  });

  it("after adding, defaulting and removing cards, and refused submissions, nothing anywhere holds the numbers or the code", async () => {
    const agent = await signedInStaff(t.db, "agent@demo.test");
    const ann = await customerByRef(t.db, "acme", "ACME-0001");
    const answers: string[] = [];
    const attempt = async (run: () => Promise<unknown>) => {
      try {
        answers.push(JSON.stringify(await run()));
      } catch (error) {
        answers.push(JSON.stringify({ message: (error as Error).message, ...(error as object) }));
      }
    };
    capture();
    try {
      const call = await freshCall(t.db, agent, ann, "REC-LEAK-0001");
      await verifyStrongly(t.db, agent, call, "1984-03-12");
      const inCall = { interactionId: call.id, customerId: ann.id };
      const card = (cardNumber: string, over: Record<string, string> = {}) => addCardSchema.parse({ ...inCall, cardNumber, expiry: "12/30", securityCode: CODE, holderName: "Ann Smith", ...over });

      await attempt(() => addCard(t.db, agent, card(VISA))); // refused: recording not paused
      await attempt(() => pauseRecording(t.db, agent, { ...inCall, reason: "Taking card details" }));
      await attempt(() => addCard(t.db, agent, card(VISA, { expiry: "03/25" }))); // expired
      await attempt(() => addCard(t.db, agent, card("4111 1111 1111 1112"))); // bad Luhn
      await attempt(() => addCard(t.db, agent, card(VISA, { securityCode: "7370" }))); // bad code
      const visa = await addCard(t.db, agent, card(VISA));
      await attempt(() => pauseRecording(t.db, agent, { ...inCall, reason: "Taking card details" }));
      await attempt(() => addCard(t.db, agent, card("4111-1111-1111-1111"))); // duplicate
      const mastercard = await addCard(t.db, agent, card(MASTERCARD));
      await attempt(() => setDefaultPaymentMethod(t.db, agent, { ...inCall, paymentMethodId: mastercard.id }));
      await attempt(() => removePaymentMethod(t.db, agent, { ...inCall, paymentMethodId: visa.id }));
      await attempt(() => paymentMethodsOf(t.db, agent, ann));
      await attempt(() => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: `Customer paid with ${VISA}, CVV ${CODE}` }));
      await attempt(() => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Added a card and made it the default." }));
      answers.push(JSON.stringify([visa, mastercard]));
    } finally {
      for (const r of restore.splice(0)) r();
    }

    // The journeys did happen: one card left, the default, and the refusals were answered.
    expect(await paymentMethodsOf(t.db, agent, ann)).toEqual([expect.objectContaining({ label: "Mastercard", last4: "4444", isDefault: true })]);
    expect(answers.join("\n")).toContain("This card expired in 03/2025");
    expect(answers.join("\n")).toContain("The card number is not valid: check the digits");
    expect(answers.join("\n")).toContain("Remove the card number");

    expect((await searchDatabase(t.db)).filter((r) => r.found.length)).toEqual([]);
    const outbox = await t.db.select().from(outboxMessages);
    const bodies = outbox.map((m) => `${m.subject ?? ""}\n${m.body && isSealed(m.body) ? unseal(m.body) : (m.body ?? "")}`).join("\n");
    expect(bodies).toContain("card ending 1111 was added");
    expect(hits(bodies, { codeAsToken: true })).toEqual([]);
    expect(hits(captured.join(""), { codeAsToken: true })).toEqual([]);
    expect(hits(answers.join("\n"), { codeAsToken: true })).toEqual([]);
  });
});
