import type { ConsentChannel } from "@/db/schema";

export const LEGAL_BASES = [
  { value: "consent", label: "Consent — Art. 6(1)(a)" },
  { value: "contract", label: "Contract — Art. 6(1)(b)" },
  { value: "legal_obligation", label: "Legal obligation — Art. 6(1)(c)" },
  { value: "vital_interests", label: "Vital interests — Art. 6(1)(d)" },
  { value: "public_task", label: "Public task — Art. 6(1)(e)" },
  { value: "legitimate_interests", label: "Legitimate interests — Art. 6(1)(f)" },
];

export const CHANNELS: { value: ConsentChannel; label: string }[] = [
  { value: "email", label: "Email" },
  { value: "sms", label: "SMS" },
  { value: "phone", label: "Phone" },
  { value: "post", label: "Post" },
  { value: "in_app", label: "In app" },
];

export const legalBasisLabel = (value: string) => LEGAL_BASES.find((b) => b.value === value)?.label ?? value;
export const channelLabel = (value: string) => CHANNELS.find((c) => c.value === value)?.label ?? value;
