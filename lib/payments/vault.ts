import { randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { vaultTokens } from "@/db/schema";
import { ValidationError } from "@/lib/errors";
import { keyedHashesUnderEveryKey } from "@/lib/keys/keyring";
import { checkIban, checkUsAccount } from "./bank-accounts";
import { checkCard } from "./cards";

/** What is handed to the vault, and only to the vault: the number and security code live nowhere else. */
export type CardForVault = { kind: "card"; cardNumber: string; expiry: string; securityCode: string };
export type BankAccountForVault = { kind: "bank_account"; scheme: "iban"; iban: string } | { kind: "bank_account"; scheme: "us_ach"; routingNumber: string; accountNumber: string };
export type VaultInput = CardForVault | BankAccountForVault;

/** What may be kept and shown: an opaque token and the masked facts about it. */
export type Tokenized = {
  token: string;
  kind: "card" | "bank_account";
  /** Card brand, or the bank scheme (iban, us_ach). */
  brand: string;
  last4: string;
  expMonth?: number;
  expYear?: number;
  /** Keyed hash of the number: the same card or account gives the same fingerprint, and nothing else does. */
  fingerprint: string;
  /**
   * The number's fingerprint under every key the vault reads with (`fingerprint` first): one stored
   * before a key rotation is one of these, as the number itself was never kept to fingerprint again.
   */
  fingerprints: string[];
};

/**
 * A payment processor's tokenization service, as Attest uses it. `tokenize` is the only place a card
 * number, security code or account number is ever passed to; it answers with a token. Adapters take
 * the transaction so that an embedded vault writes with the change, and a remote one can be called in
 * it (and `remove` its token when the change is refused).
 */
export type PaymentVault = {
  tokenize(tx: Db, tenantId: string, input: VaultInput, now?: Date): Promise<Tokenized>;
  remove(tx: Db, tenantId: string, token: string, now?: Date): Promise<void>;
};

function fingerprintsOf(tenantId: string, what: string): Pick<Tokenized, "fingerprint" | "fingerprints"> {
  const fingerprints = keyedHashesUnderEveryKey("paymentFingerprints", `${tenantId}:${what}`);
  return { fingerprint: fingerprints[0]!, fingerprints };
}

/**
 * The embedded vault: behaves as a processor's tokenization service does. It validates again (a
 * processor never trusts its caller), issues a random token, fingerprints the number with a keyed
 * hash, and keeps only the token row (brand, last 4, expiry). The security code is checked for format
 * and then dropped: there is no authorisation to send it to here.
 */
export const localVault: PaymentVault = {
  async tokenize(tx, tenantId, input, now = new Date()) {
    let facts: Omit<Tokenized, "token">;
    if (input.kind === "card") {
      const checked = checkCard(input, now);
      if (!checked.ok) throw new ValidationError(checked.errors, "The card was not accepted: see the highlighted fields.");
      const { digits, brand, last4, expMonth, expYear } = checked.card;
      facts = { kind: "card", brand, last4, expMonth, expYear, ...fingerprintsOf(tenantId, `card:${digits}`) };
    } else if (input.scheme === "iban") {
      const checked = checkIban(input.iban);
      if (!checked.ok) throw ValidationError.field("iban", checked.message);
      facts = { kind: "bank_account", brand: "iban", last4: checked.last4, ...fingerprintsOf(tenantId, `iban:${checked.iban}`) };
    } else {
      const checked = checkUsAccount(input.routingNumber, input.accountNumber);
      if (!checked.ok) throw new ValidationError(checked.errors, "The bank account was not accepted: see the highlighted fields.");
      facts = { kind: "bank_account", brand: "us_ach", last4: checked.last4, ...fingerprintsOf(tenantId, `us_ach:${checked.routingNumber}:${checked.accountNumber}`) };
    }
    const token = `tok_${randomBytes(18).toString("base64url")}`;
    await tx.insert(vaultTokens).values({
      tenantId,
      token,
      kind: facts.kind,
      fingerprint: facts.fingerprint,
      brand: facts.brand,
      last4: facts.last4,
      expMonth: facts.expMonth ?? null,
      expYear: facts.expYear ?? null,
      createdAt: now,
    });
    return { token, ...facts };
  },

  async remove(tx, tenantId, token, now = new Date()) {
    await tx
      .update(vaultTokens)
      .set({ removedAt: now })
      .where(and(eq(vaultTokens.tenantId, tenantId), eq(vaultTokens.token, token), isNull(vaultTokens.removedAt)));
  },
};

/**
 * The vault this deployment uses. Only the embedded one exists today; a real processor (its
 * tokenization API, with the card data sent from the agent's form or a DTMF capture) would be another
 * adapter behind the same PaymentVault type, chosen here from configuration read in lib/env.ts.
 */
export function vaultFromEnv(): PaymentVault {
  return localVault;
}
