/**
 * When a privacy request must be answered, under each regime a tenant's rule-packs bring in.
 *
 * Every rule counts on the calendar of the regime's own jurisdiction (a CCPA request taken at 21:00 in
 * Los Angeles is received that day, whatever the date in UTC), and a deadline is due at the end of its
 * last day there. Pure: no clock, no database; the caller passes the instants.
 */
import { RULE_PACKS } from "@/lib/tenants/rule-packs";
import { addBusinessDays, addCalendarDays, addMonthsToDay, dayIn, endOfDayIn, nextBusinessDay, type CalendarDay, type HolidayCalendar } from "./calendar";

export type Regime = "uk_gdpr" | "gdpr" | "ccpa" | "hipaa";

export const PRIVACY_REQUEST_TYPES = ["access", "portability", "rectification", "erasure", "restriction", "objection", "opt_out_sale_share"] as const;
export type PrivacyRequestType = (typeof PRIVACY_REQUEST_TYPES)[number];

/** GDPR Art. 12(3), UK and EU alike: one month, extendable by two further months, i.e. three from the start (RULES.md B1, B2). */
export const GDPR_RESPONSE_MONTHS = 1;
export const GDPR_EXTENDED_RESPONSE_MONTHS = 3;
/** 11 CCR §7021: answer within 45 calendar days of receipt, once extendable to 90 in all (RULES.md D2). */
export const CCPA_RESPONSE_DAYS = 45;
export const CCPA_EXTENDED_RESPONSE_DAYS = 90;
/** 11 CCR §7021(a): confirm receipt of a request to know, delete or correct within 10 business days (RULES.md D1). */
export const CCPA_ACKNOWLEDGE_BUSINESS_DAYS = 10;
/** 11 CCR §7026: honour an opt-out of sale or sharing within 15 business days, with no extension (RULES.md D4). */
export const CCPA_OPT_OUT_BUSINESS_DAYS = 15;
/** 45 CFR §164.524(b)(2): act on a request for access within 30 days, one 30-day extension (RULES.md H4). */
export const HIPAA_RESPONSE_DAYS = 30;
export const HIPAA_EXTENDED_RESPONSE_DAYS = 60;
/** How close a due date must be for a request to show as due soon: a week leaves time to gather, review and send. */
export const DUE_SOON_DAYS = 7;
const MS_PER_DAY = 86_400_000;

/**
 * When no pack the tenant enables governs the request (a PECR- or TCPA-only tenant, or an erasure
 * request to a HIPAA-only one), it is still answered to a deadline: EU GDPR's one calendar month with
 * no working-day roll, the strictest common default. It is never later than the UK's month (which may
 * roll forward) or the CCPA's 45 days, so answering by it meets whichever of them turns out to apply.
 */
export const DEFAULT_REGIME: Regime = "gdpr";

type RegimeRules = {
  label: string;
  /** The zone whose calendar the law counts on, and at the end of whose day a deadline falls. */
  timeZone: string;
  holidays: HolidayCalendar | null;
  /** The request types the regime gives a right to. */
  requestTypes: readonly PrivacyRequestType[];
  /**
   * RULES.md B3: under the UK GDPR (Art. 12A, Data (Use and Access) Act 2025) the month starts when the
   * identity information the controller asked for arrives. Elsewhere the clock runs from receipt: the
   * CCPA says so expressly (D2), and the EU position is unconfirmed, so receipt is the safe default.
   */
  clockWaitsForIdentity: boolean;
};

export const REGIMES = {
  uk_gdpr: { label: RULE_PACKS.uk_gdpr, timeZone: "Europe/London", holidays: "england_wales", requestTypes: PRIVACY_REQUEST_TYPES, clockWaitsForIdentity: true },
  // The EU spans several zones; Brussels (CET/CEST) is most Member States' time. Those on EET end their day an hour sooner.
  gdpr: { label: RULE_PACKS.gdpr, timeZone: "Europe/Brussels", holidays: null, requestTypes: PRIVACY_REQUEST_TYPES, clockWaitsForIdentity: false },
  ccpa: { label: RULE_PACKS.ccpa, timeZone: "America/Los_Angeles", holidays: "us_federal", requestTypes: PRIVACY_REQUEST_TYPES, clockWaitsForIdentity: false },
  // HIPAA gives a right of access to one's own health information (§164.524), which covers an electronic copy, not the other rights.
  hipaa: { label: RULE_PACKS.hipaa, timeZone: "America/New_York", holidays: "us_federal", requestTypes: ["access", "portability"], clockWaitsForIdentity: false },
} as const satisfies Record<Regime, RegimeRules>;

const REGIME_KEYS = Object.keys(REGIMES) as Regime[];

export type Deadline = {
  /** The regime whose due date binds: the earliest of those that apply. */
  regime: Regime;
  dueAt: Date;
  /** The latest an extended request may be answered; null when it cannot be extended. */
  extendedDueAt: Date | null;
  /** When receipt must be confirmed (CCPA, D1); null when no regime asks for it. */
  acknowledgeBy: Date | null;
};

/**
 * The regimes that govern a request of `type` for a tenant with these rule-packs, in a fixed order.
 * Packs that set no response deadline (pecr, tcpa, can_spam, casl, eprivacy) bring none in; when none
 * applies, `DEFAULT_REGIME`.
 */
export function regimesFor(rulePacks: readonly string[], type: PrivacyRequestType): Regime[] {
  const applying = REGIME_KEYS.filter((regime) => rulePacks.includes(regime) && (REGIMES[regime].requestTypes as readonly PrivacyRequestType[]).includes(type));
  return applying.length > 0 ? applying : [DEFAULT_REGIME];
}

/** When the response clock starts under `regime` (RULES.md B3 for the UK; D2: a pending verification never pauses the CCPA clock). */
export function clockStartFor(regime: Regime, { receivedAt, identityConfirmedAt }: { receivedAt: Date; identityConfirmedAt?: Date | null }): Date {
  if (REGIMES[regime].clockWaitsForIdentity && identityConfirmedAt && identityConfirmedAt > receivedAt) return identityConfirmedAt;
  return receivedAt;
}

type DueDays = { due: CalendarDay; extended: CalendarDay | null; acknowledge: CalendarDay | null };

function dueDaysUnder(regime: Regime, type: PrivacyRequestType, start: CalendarDay, received: CalendarDay): DueDays {
  switch (regime) {
    case "uk_gdpr": {
      // ICO: when the corresponding day is a weekend or bank holiday, the next working day (B1); the extension rolls the same way (B2).
      const roll = (day: CalendarDay) => nextBusinessDay(day, REGIMES.uk_gdpr.holidays);
      return { due: roll(addMonthsToDay(start, GDPR_RESPONSE_MONTHS)), extended: roll(addMonthsToDay(start, GDPR_EXTENDED_RESPONSE_MONTHS)), acknowledge: null };
    }
    case "gdpr":
      // The EU text has no working-day roll, and the Member States' holidays differ: the plain calendar date.
      return { due: addMonthsToDay(start, GDPR_RESPONSE_MONTHS), extended: addMonthsToDay(start, GDPR_EXTENDED_RESPONSE_MONTHS), acknowledge: null };
    case "ccpa":
      if (type === "opt_out_sale_share") return { due: addBusinessDays(start, CCPA_OPT_OUT_BUSINESS_DAYS, REGIMES.ccpa.holidays), extended: null, acknowledge: null };
      return {
        due: addCalendarDays(start, CCPA_RESPONSE_DAYS),
        extended: addCalendarDays(start, CCPA_EXTENDED_RESPONSE_DAYS),
        acknowledge: addBusinessDays(received, CCPA_ACKNOWLEDGE_BUSINESS_DAYS, REGIMES.ccpa.holidays),
      };
    case "hipaa":
      return { due: addCalendarDays(start, HIPAA_RESPONSE_DAYS), extended: addCalendarDays(start, HIPAA_EXTENDED_RESPONSE_DAYS), acknowledge: null };
  }
}

function deadlineUnder(regime: Regime, type: PrivacyRequestType, clockStartsAt: Date, receivedAt: Date): Deadline {
  const { timeZone } = REGIMES[regime];
  const days = dueDaysUnder(regime, type, dayIn(clockStartsAt, timeZone), dayIn(receivedAt, timeZone));
  const endOf = (day: CalendarDay | null) => (day === null ? null : endOfDayIn(day, timeZone));
  return { regime, dueAt: endOfDayIn(days.due, timeZone), extendedDueAt: endOf(days.extended), acknowledgeBy: endOf(days.acknowledge) };
}

const earliest = (instants: readonly Date[]): Date => instants.reduce((a, b) => (b < a ? b : a));

/**
 * The deadline of a request under every regime that applies, the most protective for the customer:
 * the earliest due date wins, and so do the earliest extended date and the earliest acknowledgement,
 * because each regime must still be met. A tenant under both CCPA and HIPAA answers an access request
 * in HIPAA's 30 days and still confirms receipt in the CCPA's 10 business days; an extension is only
 * worth as much as the tightest regime allows once extended (a regime that cannot be extended allows
 * only its due date), and none is offered when that gains nothing.
 *
 * `clockStartsAt` is when the response clock starts (normally receipt). Pass `identityConfirmedAt`
 * when requested identity information arrived, rather than moving `clockStartsAt`: then only the
 * regimes whose clock waits for it (B3, UK) move, and a CCPA clock keeps running from receipt (D2).
 * `receivedAt` (default `clockStartsAt`) is what the acknowledgement counts from.
 */
export function deadlineFor(input: { rulePacks: readonly string[]; type: PrivacyRequestType; clockStartsAt: Date; receivedAt?: Date; identityConfirmedAt?: Date | null }): Deadline {
  const receivedAt = input.receivedAt ?? input.clockStartsAt;
  const each = regimesFor(input.rulePacks, input.type).map((regime) =>
    deadlineUnder(regime, input.type, clockStartFor(regime, { receivedAt: input.clockStartsAt, identityConfirmedAt: input.identityConfirmedAt }), receivedAt),
  );
  const binding = each.reduce((a, b) => (b.dueAt < a.dueAt ? b : a));
  const latestOnceExtended = earliest(each.map((d) => d.extendedDueAt ?? d.dueAt));
  const acknowledgements = each.flatMap((d) => (d.acknowledgeBy ? [d.acknowledgeBy] : []));
  return {
    regime: binding.regime,
    dueAt: binding.dueAt,
    extendedDueAt: latestOnceExtended > binding.dueAt ? latestOnceExtended : null,
    acknowledgeBy: acknowledgements.length > 0 ? earliest(acknowledgements) : null,
  };
}

const formatDue = (instant: Date, regime: Regime | undefined) =>
  new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: regime ? REGIMES[regime].timeZone : "UTC",
    timeZoneName: "short",
  }).format(instant);

/**
 * Whether a handler may extend the request now. Each regime allows one extension, decided and told to
 * the requester with reasons within the original period (B2, D2, H4), so `deadline.dueAt` must be the
 * original due date, not one already extended.
 */
export function canExtend(input: {
  deadline: Pick<Deadline, "dueAt" | "extendedDueAt"> & { regime?: Regime };
  alreadyExtended: boolean;
  now: Date;
}): { ok: true } | { ok: false; reason: string } {
  const { deadline, alreadyExtended, now } = input;
  if (deadline.extendedDueAt === null) {
    return { ok: false, reason: "This request cannot be extended: the law sets a fixed deadline for it (for example, a CCPA opt-out of sale or sharing must be honoured within 15 business days)." };
  }
  if (alreadyExtended) return { ok: false, reason: "This request has already been extended once, and the law allows only one extension." };
  if (now > deadline.dueAt) {
    return { ok: false, reason: `The original deadline (${formatDue(deadline.dueAt, deadline.regime)}) has passed: an extension must be decided, and the requester told why, before it.` };
  }
  return { ok: true };
}

export type DeadlineState = "overdue" | "due_soon" | "on_track";

/** Due soon from `DUE_SOON_DAYS` before the due instant; overdue from the millisecond after it. */
export function deadlineState(dueAt: Date, now: Date): DeadlineState {
  const left = dueAt.getTime() - now.getTime();
  if (left < 0) return "overdue";
  return left <= DUE_SOON_DAYS * MS_PER_DAY ? "due_soon" : "on_track";
}
