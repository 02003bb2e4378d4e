import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantIdByKey } from "@/db/seed";
import { newStaffActor, sessionActor } from "@/db/testing/staff";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { devMailboxExists, devMailboxTransport, readDevMailbox, type OutgoingMessage } from "./transports";

describe("the dev mailbox", () => {
  it("does not exist in production, whatever the database, unless the server is the demo", () => {
    // `next start` is production: the embedded demo started by `npm start` is marked ATTEST_DEMO=1.
    expect(devMailboxExists({ production: true, demo: false })).toBe(false);
    expect(devMailboxExists({ production: true, demo: true })).toBe(true);
    expect(devMailboxExists({ production: false, demo: false })).toBe(true);
  });

  describe("opens sealed messages", () => {
    let t: TestDatabase;
    let acme: string;
    const message = (overrides: Partial<OutgoingMessage>): OutgoingMessage => ({
      channel: "sms",
      recipient: "+447700900123",
      subject: null,
      body: "A plain notice.",
      tenantId: acme,
      messageId: randomUUID(),
      sensitive: false,
      ...overrides,
    });

    beforeAll(async () => {
      t = await testDatabase({ seed: true });
      acme = await tenantIdByKey(t.db, "acme");
    });
    afterAll(() => t?.close());

    it("for admins only; others see that they are sealed, and the plain ones in full", async () => {
      const code = message({ body: "730512 is your Acme Energy verification code.", sensitive: true });
      const plain = message({ recipient: "+447700900124" });
      await devMailboxTransport(t.db).send(code);
      await devMailboxTransport(t.db).send(plain);
      const find = async (reader: Parameters<typeof readDevMailbox>[1], id: string) =>
        (await readDevMailbox(t.db, reader)).find((m) => m.messageId === id);

      for (const reader of [await newStaffActor(t.db, "admin", [acme]), systemActor("test")]) {
        expect(await find(reader, code.messageId)).toMatchObject({
          recipient: "+447700900123",
          body: code.body,
          sensitive: true,
        });
      }
      for (const email of ["agent@demo.test", "supervisor@demo.test"]) {
        const reader = await sessionActor(t.db, email);
        expect(await find(reader, code.messageId)).toMatchObject({ recipient: null, body: null, sensitive: true });
        expect(await find(reader, plain.messageId)).toMatchObject({
          recipient: "+447700900124",
          body: "A plain notice.",
        });
      }
    });
  });
});
