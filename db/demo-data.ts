/**
 * The demo described in API.md "Demo data": two tenants, four staff (the admin a platform admin), customers ACME-0001… and
 * GLX-0001…, and one API key per tenant. Plain data; db/seed.ts records it through the domain code.
 */
export const DEMO_PASSWORD = "demo-password";

export const demoTenants = [
  { key: "acme", name: "Acme Energy", rulePacks: ["uk_gdpr", "pecr"], defaultCountry: "GB", knowledgeOnlyStrong: false, emailDoubleOptIn: false },
  { key: "globex", name: "Globex Telecom", rulePacks: ["ccpa", "tcpa", "can_spam"], defaultCountry: "US", knowledgeOnlyStrong: false, emailDoubleOptIn: true },
] as const;

export const demoStaff = [
  { email: "agent@demo.test", name: "Alex Agent", role: "agent", tenants: ["acme", "globex"] },
  { email: "agent.acme@demo.test", name: "Amira Acme", role: "agent", tenants: ["acme"] },
  { email: "supervisor@demo.test", name: "Sam Supervisor", role: "supervisor", tenants: ["acme", "globex"] },
  { email: "admin@demo.test", name: "Ada Admin", role: "admin", tenants: ["acme", "globex"], platformAdmin: true },
] as const;

/**
 * The demo's supervisor and admin sign in with a second factor, as every supervisor and admin must:
 * they come enrolled with this published secret (README), which any authenticator app takes by hand.
 */
export const DEMO_TOTP_SECRET = "ATTESTDEMOTOTPSECRETFORTHEDEMO23";
export const demoStaffWithAuthenticator = ["supervisor@demo.test", "admin@demo.test"] as const;

export const demoApiKeys = [
  { tenant: "acme", key: "demo-acme-api-key" },
  { tenant: "globex", key: "demo-globex-api-key" },
] as const;

/** Demo security questions (answers are stored only as hashes). */
export const demoSecurityAnswers: Record<string, { question: string; answer: string }> = {
  "ACME-0001": { question: "What was the name of your first school?", answer: "Hillside Primary" },
  "ACME-0002": { question: "Which street did you grow up on?", answer: "Church Lane" },
  "GLX-0001": { question: "What was the make of your first phone?", answer: "Nokia" },
};

type DemoCustomer = {
  name: string;
  phone?: string;
  email?: string;
  address?: { line1: string; city: string; postcode: string; country: string };
  dateOfBirth?: string;
  language?: string;
};

const acmeCustomers: DemoCustomer[] = [
  { name: "Ann Smith", phone: "07911 123456", email: "ann.smith@example.com", address: { line1: "12 Mill Lane", city: "Leeds", postcode: "LS1 4AB", country: "GB" }, dateOfBirth: "1984-03-12", language: "en-GB" },
  { name: "Zoë Brontë", phone: "07781 900456", email: "zoe.bronte@example.co.uk", address: { line1: "3 Parsonage Row", city: "Haworth", postcode: "BD22 8DR", country: "GB" }, dateOfBirth: "1990-07-30", language: "en-GB" },
  { name: "Siobhán O'Brien", phone: "07400 123789", email: "siobhan.obrien@example.ie", address: { line1: "45 Harbour Road", city: "Belfast", postcode: "BT1 3NQ", country: "GB" }, dateOfBirth: "1977-11-02", language: "en-GB" },
  { name: "Mohammed Rahman", phone: "07812 345678", email: "m.rahman@example.com", address: { line1: "9 Cedar Court", city: "Birmingham", postcode: "B5 7RT", country: "GB" }, dateOfBirth: "1969-01-21", language: "en-GB" },
  { name: "Gwen Llewellyn", phone: "07975 112233", email: "gwen.llewellyn@example.cymru", address: { line1: "1 Castle Street", city: "Cardiff", postcode: "CF10 1BS", country: "GB" }, dateOfBirth: "1995-05-17", language: "cy" },
  { name: "Peter Okafor", phone: "07534 998877", email: "peter.okafor@example.com", address: { line1: "77 Station Road", city: "Manchester", postcode: "M1 2AB", country: "GB" }, dateOfBirth: "1988-09-09", language: "en-GB" },
  { name: "Hélène Dubois", phone: "+33 6 12 34 56 78", email: "helene.dubois@example.fr", address: { line1: "20 Kings Road", city: "London", postcode: "SW3 4RP", country: "GB" }, dateOfBirth: "1981-12-24", language: "fr" },
  { name: "Raj Patel", phone: "07723 456123", email: "raj.patel@example.com", address: { line1: "5 Orchard Way", city: "Leicester", postcode: "LE1 6XY", country: "GB" }, dateOfBirth: "1972-04-04", language: "en-GB" },
  { name: "Emily Clarke", phone: "07890 123321", email: "emily.clarke@example.com", address: { line1: "8 Bridge Street", city: "Bristol", postcode: "BS1 2EF", country: "GB" }, dateOfBirth: "2000-02-29", language: "en-GB" },
  { name: "Tomasz Nowak", phone: "07456 789012", email: "tomasz.nowak@example.pl", address: { line1: "31 Queen Street", city: "Glasgow", postcode: "G1 3DX", country: "GB" }, dateOfBirth: "1986-06-15", language: "pl" },
  { name: "Fiona MacLeod", phone: "07968 654321", email: "fiona.macleod@example.scot", address: { line1: "14 High Street", city: "Inverness", postcode: "IV1 1JN", country: "GB" }, dateOfBirth: "1965-10-10", language: "en-GB" },
  { name: "Chloé Martin", email: "chloe.martin@example.com", address: { line1: "2 Market Place", city: "York", postcode: "YO1 8QZ", country: "GB" }, language: "en-GB" },
];

const globexCustomers: DemoCustomer[] = [
  { name: "John Miller", phone: "(415) 555-0134", email: "john.miller@example.com", address: { line1: "500 Market St", city: "San Francisco", postcode: "94105", country: "US" }, dateOfBirth: "1979-08-19", language: "en-US" },
  { name: "María José García", phone: "(213) 555-0188", email: "mj.garcia@example.com", address: { line1: "1200 Sunset Blvd", city: "Los Angeles", postcode: "90026", country: "US" }, dateOfBirth: "1992-03-03", language: "es-US" },
  { name: "Ann Smith", phone: "(206) 555-0112", email: "ann.smith@example.org", address: { line1: "88 Pine St", city: "Seattle", postcode: "98101", country: "US" }, dateOfBirth: "1983-05-05", language: "en-US" },
  { name: "Nguyễn Văn An", phone: "(408) 555-0177", email: "an.nguyen@example.com", address: { line1: "42 Story Rd", city: "San Jose", postcode: "95122", country: "US" }, dateOfBirth: "1975-12-01", language: "vi" },
  { name: "DeShawn Williams", phone: "(312) 555-0155", email: "deshawn.w@example.com", address: { line1: "233 S Wacker Dr", city: "Chicago", postcode: "60606", country: "US" }, dateOfBirth: "1990-01-30", language: "en-US" },
  { name: "Priya Shah", phone: "(646) 555-0123", email: "priya.shah@example.com", address: { line1: "350 5th Ave", city: "New York", postcode: "10118", country: "US" }, dateOfBirth: "1987-07-07", language: "en-US" },
  { name: "Olivia Chen", phone: "(617) 555-0199", email: "olivia.chen@example.com", address: { line1: "1 Harbor St", city: "Boston", postcode: "02210", country: "US" }, dateOfBirth: "1998-11-11", language: "en-US" },
  { name: "Robert Johnson", phone: "(512) 555-0166", email: "bob.johnson@example.com", address: { line1: "600 Congress Ave", city: "Austin", postcode: "78701", country: "US" }, dateOfBirth: "1960-02-14", language: "en-US" },
  { name: "Sofía Hernández", phone: "(305) 555-0144", email: "sofia.hernandez@example.com", address: { line1: "100 Biscayne Blvd", city: "Miami", postcode: "33132", country: "US" }, dateOfBirth: "1994-09-21", language: "es-US" },
  { name: "Kenji Watanabe", phone: "(808) 555-0101", email: "kenji.w@example.com", address: { line1: "2255 Kalakaua Ave", city: "Honolulu", postcode: "96815", country: "US" }, dateOfBirth: "1970-06-06", language: "ja" },
];

const refOf = (prefix: string, i: number) => `${prefix}-${String(i + 1).padStart(4, "0")}`;

export const demoCustomers = [
  ...acmeCustomers.map((c, i) => ({ tenant: "acme" as const, ref: refOf("ACME", i), ...c })),
  ...globexCustomers.map((c, i) => ({ tenant: "globex" as const, ref: refOf("GLX", i), ...c })),
];

/** Purposes of API.md "Demo data": marketing, profiling and sharing in both tenants; sale or share in globex. */
export const demoPurposes = [
  { key: "marketing", name: "Marketing", legalBasis: "consent", category: "marketing", channels: ["email", "sms", "phone", "post"], reviewIntervalDays: 730 },
  { key: "profiling", name: "Profiling", legalBasis: "consent", category: "analytics", channels: ["email", "in_app"], reviewIntervalDays: 730 },
  { key: "third_party_sharing", name: "Sharing with partners", legalBasis: "consent", category: "sharing", channels: ["email", "post"], reviewIntervalDays: 365, validForDays: 365 },
] as const;

export const globexOnlyPurposes = [
  { key: "sale_or_share", name: "Sale or sharing of personal information", legalBasis: "consent", category: "sale_or_share", channels: ["email", "post", "in_app"], reviewIntervalDays: 365 },
] as const;

/** The script an agent reads and the text a web page shows, naming controller, purpose, processing and withdrawal. */
export function demoNoticeText(tenantName: string, purposeName: string, kind: "script" | "web"): string {
  const lead = kind === "script" ? `May ${tenantName} use your details for ${purposeName}?` : `${tenantName} would like to use your details for ${purposeName}.`;
  return `${lead} ${tenantName} is the controller of your data. Purpose: ${purposeName}: we use your contact details and account history for it, on the channel you choose. You can withdraw your consent at any time, by phone, on your preferences page or by replying STOP, and it will not affect your service.`;
}

/**
 * Consent captured outside the desk (web forms, IVR, letters), as the client brands' systems send it
 * through the consent API: a spread of grants, refusals, withdrawals, a lapsed grant (sharing lasts a
 * year), a review that is due, a CCPA opt-out and a grant awaiting double opt-in (globex).
 */
export const demoConsentHistory = [
  { ref: "ACME-0002", purpose: "marketing", channel: "email", action: "grant", method: "web", occurredAt: "2024-06-01T10:15:00Z" },
  { ref: "ACME-0002", purpose: "profiling", channel: "email", action: "refuse", method: "web", occurredAt: "2024-06-01T10:15:00Z" },
  { ref: "ACME-0003", purpose: "marketing", channel: "sms", action: "grant", method: "ivr", occurredAt: "2025-02-10T17:42:00Z" },
  { ref: "ACME-0003", purpose: "marketing", channel: "email", action: "grant", method: "web", occurredAt: "2025-02-10T17:45:00Z" },
  { ref: "ACME-0003", purpose: "marketing", channel: "sms", action: "withdraw", method: "web", occurredAt: "2025-09-15T08:03:00Z" },
  { ref: "ACME-0005", purpose: "third_party_sharing", channel: "email", action: "grant", method: "written", occurredAt: "2024-09-01T09:00:00Z" },
  { ref: "ACME-0009", purpose: "marketing", channel: "email", action: "grant", method: "web", occurredAt: "2025-05-01T19:20:00Z" },
  { ref: "GLX-0002", purpose: "sale_or_share", channel: "email", action: "refuse", method: "web", occurredAt: "2026-08-01T16:00:00Z" },
  { ref: "GLX-0003", purpose: "marketing", channel: "email", action: "grant", method: "web", occurredAt: "2026-11-20T12:30:00Z" },
  { ref: "GLX-0004", purpose: "marketing", channel: "sms", action: "grant", method: "written", occurredAt: "2025-11-01T15:00:00Z" },
  { ref: "GLX-0004", purpose: "marketing", channel: "phone", action: "grant", method: "written", occurredAt: "2025-11-01T15:00:00Z" },
] as const;

/** Calls taken on the desk by the demo agent: verbal answers with the call's recording, and an objection. */
export const demoCalls = [
  {
    ref: "GLX-0009",
    recordingRef: "REC-GLX-DEMO-0001",
    verifyDateOfBirth: "1994-09-21",
    answers: [
      { purpose: "marketing", channel: "phone", decision: "grant" },
      { purpose: "third_party_sharing", channel: "email", decision: "refuse" },
    ],
    objectsToMarketing: false,
    summary: "Customer agreed to marketing calls after hearing the script; declined partner sharing.",
  },
  {
    ref: "ACME-0009",
    recordingRef: "REC-ACME-DEMO-0001",
    verifyDateOfBirth: null,
    answers: [],
    objectsToMarketing: true,
    summary: "Customer asked us to stop all marketing.",
  },
] as const;

/** Payment methods added on demo calls: test numbers, of which only a token, the brand and last 4 are kept. */
export const demoPaymentMethods = [
  {
    ref: "ACME-0008",
    tenant: "acme",
    dateOfBirth: "1972-04-04",
    recordingRef: "REC-ACME-DEMO-0002",
    card: { cardNumber: "4242 4242 4242 4242", expiry: "12/30", securityCode: "123", holderName: "Raj Patel" },
    bankAccount: { scheme: "iban", iban: "GB82 WEST 1234 5698 7654 32" },
  },
  {
    ref: "GLX-0006",
    tenant: "globex",
    dateOfBirth: "1987-07-07",
    recordingRef: "REC-GLX-DEMO-0002",
    card: { cardNumber: "4242 4242 4242 4242", expiry: "08/29", securityCode: "123", holderName: "Priya Shah" },
    bankAccount: { scheme: "us_ach", routingNumber: "021000021", accountNumber: "000123456789" },
  },
] as const;
