import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { vaultTokens } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { ValidationError } from "@/lib/errors";
import { rotateToNewKey } from "@/lib/keys/testing";
import { localVault, vaultFromEnv, type PaymentVault } from "./vault";

const NOW = new Date("2026-11-26T12:00:00Z");
const CARD = { kind: "card" as const, cardNumber: "4111 1111 1111 1111", expiry: "12/30", securityCode: "737" };

/** What every vault adapter must do, whichever processor is behind it. */
function vaultContract(name: string, vault: () => PaymentVault) {
  describe(`${name}: the payment vault contract`, () => {
    let t: TestDatabase;
    let acme: string;
    let globex: string;
    beforeAll(async () => {
      t = await testDatabase({ seed: true });
      acme = await tenantIdByKey(t.db, "acme");
      globex = await tenantIdByKey(t.db, "globex");
    });
    afterAll(() => t?.close());

    it("tokenizes a card into an opaque token with brand, last 4, expiry and a fingerprint, never the number or code", async () => {
      const result = await vault().tokenize(t.db, acme, CARD, NOW);
      expect(result).toMatchObject({ kind: "card", brand: "visa", last4: "1111", expMonth: 12, expYear: 2030 });
      expect(result.token).toMatch(/^tok_[A-Za-z0-9_-]{16,}$/);
      expect(result.fingerprint).toMatch(/^[A-Za-z0-9_-]+:[0-9a-f]{64}$/); // the key id, then the hash
      const text = JSON.stringify(result);
      expect(text).not.toContain("4111111111111111");
      expect(text).not.toContain("737");
    });

    it("gives the same card the same fingerprint in any spacing, a new token each time, and another card another fingerprint", async () => {
      const a = await vault().tokenize(t.db, acme, CARD, NOW);
      const b = await vault().tokenize(t.db, acme, { ...CARD, cardNumber: "4111-1111-1111-1111", securityCode: "123" }, NOW);
      const c = await vault().tokenize(t.db, acme, { ...CARD, cardNumber: "5555 5555 5555 4444" }, NOW);
      expect(a.fingerprint).toBe(b.fingerprint);
      expect(a.token).not.toBe(b.token);
      expect(c).toMatchObject({ brand: "mastercard", last4: "4444" });
      expect(c.fingerprint).not.toBe(a.fingerprint);
      // Fingerprints are keyed per tenant: one tenant's cannot be matched against another's.
      const other = await vault().tokenize(t.db, globex, CARD, NOW);
      expect(other.fingerprint).not.toBe(a.fingerprint);
    });

    it("still recognises a card fingerprinted before a key rotation, whose number was never kept", async () => {
      const before = await vault().tokenize(t.db, acme, CARD, NOW);
      const { restore } = rotateToNewKey();
      try {
        const after = await vault().tokenize(t.db, acme, CARD, NOW);
        expect(after.fingerprint).not.toBe(before.fingerprint);
        expect(after.fingerprints).toContain(before.fingerprint);
      } finally {
        restore();
      }
    });

    it("tokenizes bank accounts: IBAN and US routing + account number", async () => {
      const iban = await vault().tokenize(t.db, acme, { kind: "bank_account", scheme: "iban", iban: "GB82 WEST 1234 5698 7654 32" }, NOW);
      expect(iban).toMatchObject({ kind: "bank_account", brand: "iban", last4: "5432" });
      const ach = await vault().tokenize(t.db, globex, { kind: "bank_account", scheme: "us_ach", routingNumber: "021000021", accountNumber: "000123456789" }, NOW);
      expect(ach).toMatchObject({ kind: "bank_account", brand: "us_ach", last4: "6789" });
      expect(ach.expMonth).toBeUndefined();
    });

    it("refuses what does not pass the checks, per field, without echoing it", async () => {
      const refused = await vault().tokenize(t.db, acme, { ...CARD, cardNumber: "4111 1111 1111 1112", expiry: "03/25" }, NOW).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["cardNumber", "expiry"]);
      expect(JSON.stringify((refused as ValidationError).fieldErrors)).not.toContain("4111");
    });

    it("remove makes the token unusable and is harmless twice", async () => {
      const { token } = await vault().tokenize(t.db, acme, CARD, NOW);
      await vault().remove(t.db, acme, token, NOW);
      await vault().remove(t.db, acme, token, NOW);
      if (vault() === localVault) {
        const [row] = await t.db.select().from(vaultTokens).where(and(eq(vaultTokens.tenantId, acme), eq(vaultTokens.token, token)));
        expect(row!.removedAt).toEqual(NOW);
      }
    });

    it("keeps nothing from which the number or code could be read", async () => {
      const rows = await queryRows<{ row: string }>(t.db, sql`select t::text as row from vault_tokens t`);
      const all = rows.map((r) => r.row).join("\n");
      expect(rows.length).toBeGreaterThan(0);
      expect(all).not.toMatch(/4111\D?1111\D?1111\D?1111|5555\D?5555\D?5555\D?4444|\b737\b/);
    });
  });
}

vaultContract("localVault", () => localVault);

it("vaultFromEnv picks the embedded vault when no processor is configured", () => {
  expect(vaultFromEnv()).toBe(localVault);
});
