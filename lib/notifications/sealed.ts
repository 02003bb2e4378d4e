/**
 * Sealing for values that must never rest in clear (one-time codes and reset links in message bodies,
 * webhook and TOTP secrets): AES-256-GCM with the keyring's current key, each value naming its key.
 */
export { isSealed, seal, unseal } from "@/lib/keys/keyring";
