/**
 * The jurisdictions whose rules a tenant follows. Later capabilities read them: privacy-request
 * deadlines (B1–B3, D1–D2), double opt-in, marketing rules (E).
 */
export const RULE_PACKS = {
  gdpr: "EU GDPR",
  uk_gdpr: "UK GDPR",
  pecr: "PECR (UK e-marketing)",
  eprivacy: "ePrivacy (EU e-marketing)",
  ccpa: "CCPA / CPRA (California)",
  tcpa: "TCPA (US calls and texts)",
  can_spam: "CAN-SPAM (US email)",
  casl: "CASL (Canada)",
  hipaa: "HIPAA (US health)",
} as const;

export type RulePack = keyof typeof RULE_PACKS;
export const RULE_PACK_KEYS = Object.keys(RULE_PACKS) as [RulePack, ...RulePack[]];
