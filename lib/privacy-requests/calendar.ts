/**
 * Calendars for legal deadlines: public holidays computed by rule, plain-day arithmetic, and the step
 * between an instant and the calendar day it falls on in a time zone.
 *
 * The laws count in calendar days, calendar months or business days ("Mon–Fri excluding configured
 * public holidays of the relevant jurisdiction", RULES.md) on the jurisdiction's own calendar. So the
 * arithmetic here works on plain days (`YYYY-MM-DD`) and never on instants: adding 24 hours across a
 * clock change, or reading a day in the server's zone, would move a deadline by a day. A day becomes
 * an instant only at the very end, with `endOfDayIn`.
 */

export type HolidayCalendar = "england_wales" | "us_federal";

/** A plain calendar day, `YYYY-MM-DD`: no time, no zone. */
export type CalendarDay = string;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
const MONTHS_PER_YEAR = 12;

const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

const JANUARY = 1;
const FEBRUARY = 2;
const MAY = 5;
const JUNE = 6;
const JULY = 7;
const AUGUST = 8;
const SEPTEMBER = 9;
const OCTOBER = 10;
const NOVEMBER = 11;
const DECEMBER = 12;

/** Juneteenth became a federal holiday on 17 June 2021 and was first observed that year. */
const JUNETEENTH_FIRST_YEAR = 2021;

type Ymd = { year: number; month: number; date: number };

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const daysInMonth = (year: number, month: number) => (month === FEBRUARY && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!);

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const formatDay = (year: number, month: number, date: number): CalendarDay => `${pad(year, 4)}-${pad(month, 2)}-${pad(date, 2)}`;

function parseDay(day: CalendarDay): Ymd {
  const match = DAY_PATTERN.exec(day);
  const [year, month, date] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  if (!match || month < 1 || month > MONTHS_PER_YEAR || date < 1 || date > daysInMonth(year, month)) {
    throw new RangeError(`Not a calendar day (YYYY-MM-DD): ${day}`);
  }
  return { year, month, date };
}

/** Milliseconds of the UTC midnight that starts the day; `setUTCFullYear` because `Date.UTC` maps years 0–99 to 1900–1999. */
function utcMs(year: number, month: number, date: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, date);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

const dayToUtcMs = (day: CalendarDay) => {
  const { year, month, date } = parseDay(day);
  return utcMs(year, month, date);
};

const utcMsToDay = (ms: number): CalendarDay => {
  const d = new Date(ms);
  return formatDay(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
};

/** 0 = Sunday … 6 = Saturday, as `Date#getUTCDay`. */
const weekdayOf = (day: CalendarDay) => new Date(dayToUtcMs(day)).getUTCDay();
const isWeekend = (day: CalendarDay) => {
  const weekday = weekdayOf(day);
  return weekday === SATURDAY || weekday === SUNDAY;
};

function requireWholeNumber(n: number, what: string) {
  if (!Number.isInteger(n)) throw new RangeError(`${what} must be a whole number, not ${n}`);
}

export function addCalendarDays(day: CalendarDay, n: number): CalendarDay {
  requireWholeNumber(n, "The number of days");
  return utcMsToDay(dayToUtcMs(day) + n * MS_PER_DAY);
}

/**
 * The same date `months` later, or the last day of that month when the date does not exist there
 * (31 Jan + 1 month = 28/29 Feb): the ICO's calendar-month method (RULES.md B1, B2).
 */
export function addMonthsToDay(day: CalendarDay, months: number): CalendarDay {
  requireWholeNumber(months, "The number of months");
  const { year, month, date } = parseDay(day);
  const index = year * MONTHS_PER_YEAR + (month - 1) + months;
  const targetYear = Math.floor(index / MONTHS_PER_YEAR);
  const targetMonth = index - targetYear * MONTHS_PER_YEAR + 1;
  return formatDay(targetYear, targetMonth, Math.min(date, daysInMonth(targetYear, targetMonth)));
}

/** Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher), which Good Friday and Easter Monday follow. */
export function easterSunday(year: number): CalendarDay {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const date = ((h + l - 7 * m + 114) % 31) + 1;
  return formatDay(year, month, date);
}

/** The `nth` (1-based) given weekday of a month, e.g. the third Monday of January. */
function nthWeekday(year: number, month: number, weekday: number, nth: number): CalendarDay {
  const first = formatDay(year, month, 1);
  const toWeekday = (weekday - weekdayOf(first) + 7) % 7;
  return formatDay(year, month, 1 + toWeekday + 7 * (nth - 1));
}

function lastWeekday(year: number, month: number, weekday: number): CalendarDay {
  const lastDate = daysInMonth(year, month);
  const back = (weekdayOf(formatDay(year, month, lastDate)) - weekday + 7) % 7;
  return formatDay(year, month, lastDate - back);
}

/**
 * Bank holidays that a Royal Proclamation moved or added for one year only; a rule cannot know them.
 * Only from 2020: a deadline computed now never lands earlier (2002, 2011 and 2012 had changes too).
 * `moved` maps the day the rule gives to the day the holiday was held instead.
 */
const ENGLAND_WALES_ONE_OFF: Readonly<Record<number, { moved?: Readonly<Record<CalendarDay, CalendarDay>>; added?: readonly CalendarDay[] }>> = {
  2020: { moved: { "2020-05-04": "2020-05-08" } }, // early May moved to VE Day's 75th anniversary
  2022: { moved: { "2022-05-30": "2022-06-02" }, added: ["2022-06-03", "2022-09-19"] }, // Platinum Jubilee; the Queen's funeral
  2023: { added: ["2023-05-08"] }, // the King's coronation
};

/**
 * In England and Wales a holiday that falls on a weekend is replaced by the next weekday that is not
 * already a holiday: Christmas on a Saturday gives Monday 27 and (for Boxing Day on the Sunday) Tuesday 28.
 */
function withSubstituteDays(fixed: readonly CalendarDay[]): CalendarDay[] {
  const held = new Set(fixed.filter((day) => !isWeekend(day)));
  for (const day of fixed.filter(isWeekend)) {
    let substitute = addCalendarDays(day, 1);
    while (isWeekend(substitute) || held.has(substitute)) substitute = addCalendarDays(substitute, 1);
    held.add(substitute);
  }
  return [...held];
}

function englandWalesBankHolidays(year: number): CalendarDay[] {
  const easter = easterSunday(year);
  const oneOff = ENGLAND_WALES_ONE_OFF[year] ?? {};
  const byRule = [
    ...withSubstituteDays([formatDay(year, JANUARY, 1)]),
    addCalendarDays(easter, -2), // Good Friday
    addCalendarDays(easter, 1), // Easter Monday
    nthWeekday(year, MAY, MONDAY, 1), // early May
    lastWeekday(year, MAY, MONDAY), // spring
    lastWeekday(year, AUGUST, MONDAY), // summer
    ...withSubstituteDays([formatDay(year, DECEMBER, 25), formatDay(year, DECEMBER, 26)]),
  ];
  return [...byRule.map((day) => oneOff.moved?.[day] ?? day), ...(oneOff.added ?? [])];
}

/** 5 U.S.C. 6103(b): a fixed-date holiday on a Saturday is observed the Friday before, on a Sunday the Monday after. */
function observedFederal(day: CalendarDay): CalendarDay {
  const weekday = weekdayOf(day);
  return weekday === SATURDAY ? addCalendarDays(day, -1) : weekday === SUNDAY ? addCalendarDays(day, 1) : day;
}

function usFederalHolidays(year: number): CalendarDay[] {
  const fixedDates = (y: number) => [
    formatDay(y, JANUARY, 1),
    ...(y >= JUNETEENTH_FIRST_YEAR ? [formatDay(y, JUNE, 19)] : []),
    formatDay(y, JULY, 4),
    formatDay(y, NOVEMBER, 11), // Veterans Day
    formatDay(y, DECEMBER, 25),
  ];
  // Next year's New Year's Day on a Saturday is observed on 31 December of this year (as 2021-12-31).
  const observed = [...fixedDates(year), ...fixedDates(year + 1)].map(observedFederal).filter((day) => parseDay(day).year === year);
  return [
    ...observed,
    nthWeekday(year, JANUARY, MONDAY, 3), // Martin Luther King Jr. Day
    nthWeekday(year, FEBRUARY, MONDAY, 3), // Washington's Birthday
    lastWeekday(year, MAY, MONDAY), // Memorial Day
    nthWeekday(year, SEPTEMBER, MONDAY, 1), // Labor Day
    nthWeekday(year, OCTOBER, MONDAY, 2), // Columbus Day
    nthWeekday(year, NOVEMBER, THURSDAY, 4), // Thanksgiving Day
  ];
}

const HOLIDAY_RULES: Record<HolidayCalendar, (year: number) => CalendarDay[]> = {
  england_wales: englandWalesBankHolidays,
  us_federal: usFederalHolidays,
};

/** Each (calendar, year) is computed once: business-day counting asks about the same year day after day. */
const holidayCache = new Map<string, ReadonlySet<CalendarDay>>();

function holidaySet(year: number, calendar: HolidayCalendar): ReadonlySet<CalendarDay> {
  const key = `${calendar}:${year}`;
  let set = holidayCache.get(key);
  if (!set) {
    set = new Set(HOLIDAY_RULES[calendar](year));
    holidayCache.set(key, set);
  }
  return set;
}

/**
 * The public holidays of `year`, in date order, as held (substitute and observed days, not the nominal
 * dates when those fall on a weekend). Computed by rule, so every year works without a yearly update;
 * England & Wales one-off changes are listed from 2020 only.
 */
export function publicHolidays(year: number, calendar: HolidayCalendar): CalendarDay[] {
  requireWholeNumber(year, "The year");
  return [...holidaySet(year, calendar)].sort();
}

export function isBusinessDay(day: CalendarDay, calendar: HolidayCalendar): boolean {
  return !isWeekend(day) && !holidaySet(parseDay(day).year, calendar).has(day);
}

/** The day itself when it is a business day, otherwise the next one: the UK "next working day" roll (RULES.md B1). */
export function nextBusinessDay(day: CalendarDay, calendar: HolidayCalendar): CalendarDay {
  let candidate = day;
  while (!isBusinessDay(candidate, calendar)) candidate = addCalendarDays(candidate, 1);
  return candidate;
}

/** The n-th business day after `day`, the day itself not counted (RULES.md D1: "within 10 business days of receipt"). */
export function addBusinessDays(day: CalendarDay, n: number, calendar: HolidayCalendar): CalendarDay {
  requireWholeNumber(n, "The number of business days");
  if (n < 0) throw new RangeError(`The number of business days must not be negative, not ${n}`);
  let candidate = day;
  for (let counted = 0; counted < n; counted++) candidate = nextBusinessDay(addCalendarDays(candidate, 1), calendar);
  return candidate;
}

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

/** What a clock in `timeZone` reads at `instant`, to the second. An unknown zone throws a RangeError from Intl. */
function wallClock(instant: number, timeZone: string) {
  let formatter = wallClockFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallClockFormatters.set(timeZone, formatter);
  }
  const part = Object.fromEntries(formatter.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { year: Number(part.year), month: Number(part.month), date: Number(part.day), hour: Number(part.hour), minute: Number(part.minute), second: Number(part.second) };
}

/** How far `timeZone` is ahead of UTC at `instant` (negative west of Greenwich), in milliseconds. */
function utcOffsetMs(instant: number, timeZone: string): number {
  const c = wallClock(instant, timeZone);
  return utcMs(c.year, c.month, c.date, c.hour, c.minute, c.second) - Math.floor(instant / 1000) * 1000;
}

/** The calendar day that `instant` falls on in `timeZone`: a call at 23:30 UTC on 1 July is on 2 July in London. */
export function dayIn(instant: Date, timeZone: string): CalendarDay {
  const c = wallClock(instant.getTime(), timeZone);
  return formatDay(c.year, c.month, c.date);
}

/**
 * The instant local midnight starts `day`. The offset is read twice because the one at UTC midnight
 * can differ from the one at local midnight on a clock-change day. Exact wherever clocks do not change
 * at midnight itself, which holds for every regime's zone here (they change at 01:00 or 02:00).
 */
function startOfDayIn(day: CalendarDay, timeZone: string): number {
  const asIfUtc = dayToUtcMs(day);
  const firstGuess = asIfUtc - utcOffsetMs(asIfUtc, timeZone);
  return asIfUtc - utcOffsetMs(firstGuess, timeZone);
}

/**
 * The last millisecond of `day` on the clocks of `timeZone`, as an instant: a deadline "by 15 April"
 * in California ends at 2026-04-16T06:59:59.999Z (UTC−7 in summer), a London summer day at 22:59:59.999Z.
 */
export function endOfDayIn(day: CalendarDay, timeZone: string): Date {
  return new Date(startOfDayIn(addCalendarDays(day, 1), timeZone) - 1);
}
