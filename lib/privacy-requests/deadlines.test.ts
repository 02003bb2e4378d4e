import { describe, expect, it } from "vitest";
import { addBusinessDays, addCalendarDays, addMonthsToDay, dayIn, easterSunday, endOfDayIn, isBusinessDay, nextBusinessDay, publicHolidays } from "./calendar";
import { canExtend, clockStartFor, deadlineFor, deadlineState, regimesFor, type Deadline, type PrivacyRequestType } from "./deadlines";

/** The weekday of a day, worked out apart from the module under test, so that each comment below is checked too. */
const weekday = (day: string) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][new Date(`${day}T00:00:00Z`).getUTCDay()];
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

const UK = ["uk_gdpr", "pecr"]; // the Acme demo tenant
const US = ["ccpa", "tcpa", "can_spam"]; // the Globex demo tenant
const deadline = (rulePacks: readonly string[], clockStartsAt: string, type: PrivacyRequestType = "access") => deadlineFor({ rulePacks, type, clockStartsAt: at(clockStartsAt) });

describe("public holidays, computed by rule", () => {
  it("finds Easter by the Gregorian computus, including its earliest and latest dates", () => {
    expect([2008, 2024, 2025, 2026, 2027, 2028, 2038, 2285].map(easterSunday)).toEqual([
      "2008-03-23", "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16", "2038-04-25", "2285-03-22",
    ]);
  });

  it("gives the England & Wales bank holidays as published on gov.uk", () => {
    expect(publicHolidays(2026, "england_wales")).toEqual(["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"]);
    // Christmas on a Saturday: Monday 27 and Tuesday 28 are the substitutes.
    expect(publicHolidays(2027, "england_wales")).toEqual(["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"]);
    // New Year's Day on a Sunday: Monday 2 January.
    expect(publicHolidays(2023, "england_wales")).toEqual(["2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"]);
  });

  it("applies the one-off changes of 2020 and 2022", () => {
    expect(publicHolidays(2020, "england_wales")).toEqual(["2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"]);
    // Spring moved to Thursday 2 June, the Jubilee on the 3rd, the funeral on 19 September; Christmas on a Sunday.
    expect(publicHolidays(2022, "england_wales")).toEqual([
      "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27",
    ]);
  });

  it("gives the US federal holidays as OPM publishes them, observed days included", () => {
    // Independence Day 2026 is a Saturday: observed Friday 3 July.
    expect(weekday("2026-07-04")).toBe("Sat");
    expect(publicHolidays(2026, "us_federal")).toEqual([
      "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
    ]);
    // Juneteenth's first year (observed Friday 18 June), and 1 January 2022, a Saturday, observed on Friday 31 December 2021.
    expect(publicHolidays(2021, "us_federal")).toEqual([
      "2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18", "2021-07-05", "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-24", "2021-12-31",
    ]);
    expect(publicHolidays(2022, "us_federal")).toEqual([
      "2022-01-17", "2022-02-21", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-10-10", "2022-11-11", "2022-11-24", "2022-12-26",
    ]);
    expect(publicHolidays(2020, "us_federal")).not.toContain("2020-06-19"); // before Juneteenth was a holiday
  });
});

describe("calendar arithmetic", () => {
  it("adds calendar months, clamped to the month's last day", () => {
    expect(addMonthsToDay("2026-01-31", 1)).toBe("2026-02-28");
    expect(addMonthsToDay("2028-01-31", 1)).toBe("2028-02-29");
    expect(addMonthsToDay("2026-11-30", 3)).toBe("2027-02-28");
    expect(addMonthsToDay("2027-11-30", 3)).toBe("2028-02-29");
    expect(addMonthsToDay("2026-12-15", 1)).toBe("2027-01-15");
    expect(addMonthsToDay("2026-03-31", -1)).toBe("2026-02-28");
  });

  it("adds calendar days across months, years and clock changes", () => {
    expect(addCalendarDays("2026-03-01", 45)).toBe("2026-04-15");
    expect(addCalendarDays("2026-12-20", 15)).toBe("2027-01-04");
    expect(addCalendarDays("2026-03-28", 2)).toBe("2026-03-30"); // over the London clock change
  });

  it("counts business days, skipping weekends and holidays", () => {
    expect(isBusinessDay("2026-11-27", "us_federal")).toBe(true); // the day after Thanksgiving is not a federal holiday
    expect(isBusinessDay("2026-11-26", "us_federal")).toBe(false);
    expect(isBusinessDay("2026-12-28", "england_wales")).toBe(false); // Boxing Day's substitute
    expect(isBusinessDay("2026-12-28", "us_federal")).toBe(true);
    expect(nextBusinessDay("2026-12-24", "england_wales")).toBe("2026-12-24");
    expect(nextBusinessDay("2026-12-25", "england_wales")).toBe("2026-12-29");
    expect(addBusinessDays("2026-12-24", 1, "england_wales")).toBe("2026-12-29");
    expect(addBusinessDays("2026-12-24", 1, "us_federal")).toBe("2026-12-28");
  });

  it("refuses what is not a calendar day", () => {
    expect(() => addCalendarDays("2026-02-30", 1)).toThrow(RangeError);
    expect(() => addMonthsToDay("26-1-5", 1)).toThrow(RangeError);
  });

  it("reads the day of an instant in the zone, not in UTC", () => {
    expect(dayIn(at("2026-07-01T23:30:00Z"), "Europe/London")).toBe("2026-07-02");
    expect(dayIn(at("2026-01-01T23:30:00Z"), "Europe/London")).toBe("2026-01-01");
    expect(dayIn(at("2026-03-02T05:00:00Z"), "America/Los_Angeles")).toBe("2026-03-01");
  });

  it("ends a day at its last local millisecond, on the offset of that day", () => {
    expect(iso(endOfDayIn("2026-07-01", "Europe/London"))).toBe("2026-07-01T22:59:59.999Z"); // BST, UTC+1
    expect(iso(endOfDayIn("2026-01-15", "Europe/London"))).toBe("2026-01-15T23:59:59.999Z"); // GMT
    expect(iso(endOfDayIn("2026-03-29", "Europe/London"))).toBe("2026-03-29T22:59:59.999Z"); // clocks went forward that morning
    expect(iso(endOfDayIn("2026-10-25", "Europe/London"))).toBe("2026-10-25T23:59:59.999Z"); // and back
    expect(iso(endOfDayIn("2026-07-01", "America/Los_Angeles"))).toBe("2026-07-02T06:59:59.999Z"); // PDT, UTC−7
    expect(iso(endOfDayIn("2026-01-15", "America/Los_Angeles"))).toBe("2026-01-16T07:59:59.999Z"); // PST, UTC−8
    expect(iso(endOfDayIn("2026-03-08", "America/Los_Angeles"))).toBe("2026-03-09T06:59:59.999Z"); // US clocks went forward
    expect(iso(endOfDayIn("2026-11-01", "America/Los_Angeles"))).toBe("2026-11-02T07:59:59.999Z"); // and back
  });
});

describe("UK GDPR: one calendar month, then the next working day (B1, B2)", () => {
  it("B1: received Saturday 31 Jan 2026, the month ends on Saturday 28 Feb, so it is due Monday 2 March", () => {
    expect([weekday("2026-01-31"), weekday("2026-02-28"), weekday("2026-03-02")]).toEqual(["Sat", "Sat", "Mon"]);
    const d = deadline(UK, "2026-01-31T10:00:00Z");
    expect(d.regime).toBe("uk_gdpr");
    expect(iso(d.dueAt)).toBe("2026-03-02T23:59:59.999Z");
    expect(d.acknowledgeBy).toBeNull();
  });

  it("B1: received Monday 31 Jan 2028, due Tuesday 29 Feb in the leap year, no roll needed", () => {
    expect([weekday("2028-01-31"), weekday("2028-02-29")]).toEqual(["Mon", "Tue"]);
    expect(iso(deadline(UK, "2028-01-31T10:00:00Z").dueAt)).toBe("2028-02-29T23:59:59.999Z");
  });

  it("B1: a due date on a Saturday rolls to the Monday, counted on London's day", () => {
    expect([weekday("2026-05-13"), weekday("2026-06-13")]).toEqual(["Wed", "Sat"]);
    expect(iso(deadline(UK, "2026-05-13T08:00:00Z").dueAt)).toBe("2026-06-15T22:59:59.999Z");
    // 23:30 UTC on Tuesday 12 May is already Wednesday 13 May in London (BST).
    expect(iso(deadline(UK, "2026-05-12T23:30:00Z").dueAt)).toBe("2026-06-15T22:59:59.999Z");
  });

  it("B1: a due date on Christmas Day 2026 (Friday) rolls past the weekend and Boxing Day's substitute to Tuesday 29 Dec", () => {
    expect([weekday("2026-11-25"), weekday("2026-12-25")]).toEqual(["Wed", "Fri"]);
    expect(iso(deadline(UK, "2026-11-25T12:00:00Z").dueAt)).toBe("2026-12-29T23:59:59.999Z");
  });

  it("B1: a due date on Good Friday 2027 rolls over Easter Monday to Tuesday 30 March (BST by then)", () => {
    expect([weekday("2027-02-26"), weekday("2027-03-26"), weekday("2027-03-30")]).toEqual(["Fri", "Fri", "Tue"]);
    expect(iso(deadline(UK, "2027-02-26T12:00:00Z").dueAt)).toBe("2027-03-30T22:59:59.999Z");
  });

  it("B2: the extension is three months from the start, month-end clamped and rolled", () => {
    // Monday 30 Nov 2026: due Wednesday 30 Dec; + 3 months = Sunday 28 Feb 2027 → Monday 1 March.
    expect([weekday("2026-12-30"), weekday("2027-02-28")]).toEqual(["Wed", "Sun"]);
    const d = deadline(UK, "2026-11-30T10:00:00Z");
    expect(iso(d.dueAt)).toBe("2026-12-30T23:59:59.999Z");
    expect(iso(d.extendedDueAt)).toBe("2027-03-01T23:59:59.999Z");
    // Saturday 31 Jan 2026 + 3 months = Thursday 30 April, a working day.
    expect(weekday("2026-04-30")).toBe("Thu");
    expect(iso(deadline(UK, "2026-01-31T10:00:00Z").extendedDueAt)).toBe("2026-04-30T22:59:59.999Z");
  });
});

describe("EU GDPR: one calendar month, no roll", () => {
  it("keeps Saturday 28 Feb 2026 as the due date, at the end of the Brussels day", () => {
    const d = deadline(["gdpr", "eprivacy"], "2026-01-31T10:00:00Z");
    expect(d.regime).toBe("gdpr");
    expect(iso(d.dueAt)).toBe("2026-02-28T22:59:59.999Z"); // CET, UTC+1
    expect(iso(d.extendedDueAt)).toBe("2026-04-30T21:59:59.999Z"); // CEST, UTC+2
  });

  it("keeps a due date that falls on Christmas Day", () => {
    expect(iso(deadline(["gdpr"], "2026-11-25T12:00:00Z").dueAt)).toBe("2026-12-25T22:59:59.999Z");
  });
});

describe("B3: when the clock starts", () => {
  const receivedAt = at("2026-03-02T10:00:00Z"); // Monday; ID asked for the same day
  const identityConfirmedAt = at("2026-03-09T15:00:00Z"); // ID arrives a week later

  it("starts the UK clock when the requested ID arrives, and recomputes the due date from it", () => {
    expect(clockStartFor("uk_gdpr", { receivedAt, identityConfirmedAt })).toEqual(identityConfirmedAt);
    expect(iso(deadlineFor({ rulePacks: UK, type: "access", clockStartsAt: receivedAt }).dueAt)).toBe("2026-04-02T22:59:59.999Z");
    expect(iso(deadlineFor({ rulePacks: UK, type: "access", clockStartsAt: receivedAt, identityConfirmedAt }).dueAt)).toBe("2026-04-09T22:59:59.999Z");
  });

  it("never moves the clock back, nor without an ID", () => {
    expect(clockStartFor("uk_gdpr", { receivedAt, identityConfirmedAt: at("2026-03-01T10:00:00Z") })).toEqual(receivedAt);
    expect(clockStartFor("uk_gdpr", { receivedAt, identityConfirmedAt: null })).toEqual(receivedAt);
  });

  it("D2: runs the CCPA clock, and the EU one, from receipt whatever the verification", () => {
    expect(clockStartFor("ccpa", { receivedAt, identityConfirmedAt })).toEqual(receivedAt);
    expect(clockStartFor("gdpr", { receivedAt, identityConfirmedAt })).toEqual(receivedAt);
    expect(iso(deadlineFor({ rulePacks: US, type: "access", clockStartsAt: receivedAt, identityConfirmedAt }).dueAt)).toBe("2026-04-17T06:59:59.999Z"); // 16 April, PDT
  });

  it("moves only the UK clock for a tenant under both, so the CCPA's 45 days from receipt can bind", () => {
    const late = at("2026-03-22T12:00:00Z"); // UK due Wednesday 22 April; CCPA still Thursday 16 April
    const d = deadlineFor({ rulePacks: ["uk_gdpr", "ccpa"], type: "erasure", clockStartsAt: receivedAt, identityConfirmedAt: late });
    expect(d.regime).toBe("ccpa");
    expect(iso(d.dueAt)).toBe("2026-04-17T06:59:59.999Z");
  });
});

describe("CCPA (D1, D2, D4)", () => {
  it("D2: received 1 March, due 15 April, extended to 30 May (a Saturday, not rolled), in California time", () => {
    expect(weekday("2026-05-30")).toBe("Sat");
    const d = deadline(US, "2026-03-01T18:00:00Z"); // 10:00 PST, Sunday 1 March
    expect(d.regime).toBe("ccpa");
    expect(iso(d.dueAt)).toBe("2026-04-16T06:59:59.999Z");
    expect(iso(d.extendedDueAt)).toBe("2026-05-31T06:59:59.999Z");
    // 05:00 UTC on 2 March is still 21:00 on 1 March in Los Angeles.
    expect(iso(deadline(US, "2026-03-02T05:00:00Z").dueAt)).toBe("2026-04-16T06:59:59.999Z");
  });

  it("D1: receipt is acknowledged within 10 business days, counting from receipt", () => {
    // Sunday 1 March: business days 2–6 and 9–13 March, so Friday 13 March.
    expect(weekday("2026-03-13")).toBe("Fri");
    expect(iso(deadline(US, "2026-03-01T18:00:00Z").acknowledgeBy)).toBe("2026-03-14T06:59:59.999Z");
    // From receivedAt when given: Thursday 26 Feb → 27 Feb, 2–6 and 9–12 March, so Thursday 12 March.
    const d = deadlineFor({ rulePacks: US, type: "erasure", clockStartsAt: at("2026-03-01T18:00:00Z"), receivedAt: at("2026-02-26T18:00:00Z") });
    expect(iso(d.acknowledgeBy)).toBe("2026-03-13T06:59:59.999Z");
  });

  it("D1: skips Thanksgiving, so a request on Monday 23 Nov 2026 is acknowledged by Tuesday 8 Dec, not Monday 7 Dec", () => {
    // 24, 25, (26 Thanksgiving), 27, 30 Nov, 1, 2, 3, 4, 7, 8 Dec.
    expect([weekday("2026-11-23"), weekday("2026-11-26"), weekday("2026-12-08")]).toEqual(["Mon", "Thu", "Tue"]);
    expect(iso(deadline(US, "2026-11-23T17:00:00Z", "rectification").acknowledgeBy)).toBe("2026-12-09T07:59:59.999Z");
  });

  it("D4: an opt-out of sale or sharing is due in 15 business days, with no extension and no acknowledgement", () => {
    // From Monday 23 Nov 2026, skipping Thanksgiving: the 15th business day is Tuesday 15 Dec.
    expect(weekday("2026-12-15")).toBe("Tue");
    const d = deadline(US, "2026-11-23T17:00:00Z", "opt_out_sale_share");
    expect(iso(d.dueAt)).toBe("2026-12-16T07:59:59.999Z");
    expect(d.extendedDueAt).toBeNull();
    expect(d.acknowledgeBy).toBeNull();
  });
});

describe("HIPAA: 30 days, one 30-day extension (H4)", () => {
  it("gives day 30 and day 60, in New York time", () => {
    const d = deadline(["hipaa"], "2026-03-01T15:00:00Z", "access");
    expect(d.regime).toBe("hipaa");
    expect(iso(d.dueAt)).toBe("2026-04-01T03:59:59.999Z"); // 31 March, EDT
    expect(iso(d.extendedDueAt)).toBe("2026-05-01T03:59:59.999Z"); // 30 April
    expect(d.acknowledgeBy).toBeNull();
  });
});

describe("which regimes apply", () => {
  it("follows the demo tenants' packs, and defaults to EU GDPR's month", () => {
    expect(regimesFor(UK, "access")).toEqual(["uk_gdpr"]);
    expect(regimesFor(US, "erasure")).toEqual(["ccpa"]);
    expect(regimesFor([], "access")).toEqual(["gdpr"]);
    expect(regimesFor(["pecr", "tcpa", "casl"], "objection")).toEqual(["gdpr"]);
    expect(regimesFor(["ccpa", "hipaa"], "portability")).toEqual(["ccpa", "hipaa"]);
    expect(regimesFor(["ccpa", "hipaa"], "erasure")).toEqual(["ccpa"]);
    expect(regimesFor(["hipaa"], "rectification")).toEqual(["gdpr"]);
  });

  it("takes the earliest due date when several apply, and keeps every regime's other duties", () => {
    const d = deadline(["ccpa", "hipaa"], "2026-03-01T18:00:00Z", "access");
    expect(d.regime).toBe("hipaa");
    expect(iso(d.dueAt)).toBe("2026-04-01T03:59:59.999Z"); // HIPAA's 30 days beat the CCPA's 45
    expect(iso(d.extendedDueAt)).toBe("2026-05-01T03:59:59.999Z"); // HIPAA's 60 beat the CCPA's 90
    expect(iso(d.acknowledgeBy)).toBe("2026-03-14T06:59:59.999Z"); // the CCPA's acknowledgement still applies
  });

  it("limits the extension to what every regime allows once extended", () => {
    // UK: due Wednesday 1 April, extendable to Monday 1 June; CCPA: due 15 April, extendable only to 30 May.
    const d = deadline(["uk_gdpr", "ccpa"], "2026-03-01T18:00:00Z", "erasure");
    expect(d.regime).toBe("uk_gdpr");
    expect(iso(d.dueAt)).toBe("2026-04-01T22:59:59.999Z");
    expect(iso(d.extendedDueAt)).toBe("2026-05-31T06:59:59.999Z");
  });
});

describe("canExtend", () => {
  const ccpa: Deadline = deadline(US, "2026-03-01T18:00:00Z"); // due 2026-04-16T06:59:59.999Z

  it("allows one extension up to the last millisecond of the original period", () => {
    expect(canExtend({ deadline: ccpa, alreadyExtended: false, now: at("2026-04-10T12:00:00Z") })).toEqual({ ok: true });
    expect(canExtend({ deadline: ccpa, alreadyExtended: false, now: ccpa.dueAt })).toEqual({ ok: true });
  });

  it("refuses after the original due instant, saying when that was", () => {
    const result = canExtend({ deadline: ccpa, alreadyExtended: false, now: at("2026-04-16T07:00:00Z") });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/15 April 2026 at 23:59 .*has passed/);
  });

  it("refuses a second extension", () => {
    const result = canExtend({ deadline: ccpa, alreadyExtended: true, now: at("2026-04-01T12:00:00Z") });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/already been extended/);
  });

  it("refuses when the law gives no extension", () => {
    const optOut = deadline(US, "2026-11-23T17:00:00Z", "opt_out_sale_share");
    const result = canExtend({ deadline: optOut, alreadyExtended: false, now: at("2026-11-24T12:00:00Z") });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/cannot be extended/);
  });
});

describe("deadlineState", () => {
  const dueAt = at("2026-04-16T06:59:59.999Z");
  it("is on track until a week before, due soon in the last week, overdue after the last millisecond", () => {
    expect(deadlineState(dueAt, at("2026-04-09T06:59:59.998Z"))).toBe("on_track");
    expect(deadlineState(dueAt, at("2026-04-09T06:59:59.999Z"))).toBe("due_soon");
    expect(deadlineState(dueAt, dueAt)).toBe("due_soon");
    expect(deadlineState(dueAt, at("2026-04-16T07:00:00.000Z"))).toBe("overdue");
  });
});
