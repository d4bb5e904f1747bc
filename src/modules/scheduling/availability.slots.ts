// Free bookable slots: weekly windows in the doctor's time zone, cut into slots, minus busy time and the past (pure).
import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

/** The longest range of local dates one free-slots request may ask for (API: "≤ 31 days"). */
export const MAX_RANGE_DAYS = 31;

/** One weekly availability window as the service reads it from `available_times`. */
export interface WeeklyWindow {
  /** 0 = Sunday … 6 = Saturday, in the doctor's time zone. */
  weekday: number;
  /** Local wall-clock `HH:MM`; `endTime` may be `24:00` for a window that runs to midnight. */
  startTime: string;
  endTime: string;
  slotMinutes: number;
  /** Local dates `YYYY-MM-DD`, both included; null leaves that side open. */
  validFrom: string | null;
  validUntil: string | null;
}

/** A span of real time: an offered slot, or busy time (an active appointment, a time-off block). */
export interface TimeSpan {
  startsAt: Date;
  endsAt: Date;
}

export interface FreeSlotsInput {
  /** The doctor's IANA time zone. */
  timezone: string;
  windows: readonly WeeklyWindow[];
  /** Local dates `YYYY-MM-DD` in `timezone`, both included, at most MAX_RANGE_DAYS apart. */
  from: string;
  to: string;
  busy: readonly TimeSpan[];
  now: Date;
  /** Free time a slot needs before and after it (the doctor's buffers); 0 when left out. */
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const TIME_PATTERN = /^(\d{2}):(\d{2})$/;

/**
 * The slots of `windows` on the local dates `from`..`to` that start after `now` and overlap no
 * busy span, sorted by start (then end), without repeats, as UTC instants.
 *
 * - Slot starts lie on the window's wall-clock grid: startTime, startTime + slotMinutes, ...
 * - A slot lasts slotMinutes of real elapsed time (end = start + slotMinutes). Appointments and
 *   the database's overlap constraint work on real instants, so every slot has its full length
 *   even when a DST change falls inside it.
 * - A slot must end by endTime on the doctor's wall clock: no later than the first moment the
 *   clock shows endTime. So a slot that runs across a spring-forward gap is dropped when the
 *   jump carries its end past endTime, and on a fall-back day the window ends at the first
 *   occurrence of a repeated endTime.
 * - A start that does not exist locally (spring forward) is skipped, never shifted.
 * - A start that occurs twice (fall back) is offered once, at its first occurrence.
 * - Busy spans remove every slot they overlap, the slot widened by the buffers; spans that only
 *   touch do not overlap.
 * - A slot that starts at or before `now` is gone.
 *
 * Throws RangeError on malformed input (unknown zone, bad dates or times, a range longer than
 * MAX_RANGE_DAYS): the service validates first, this only refuses to guess. `to` before `from`
 * is an empty range.
 */
export function computeFreeSlots(input: FreeSlotsInput): TimeSpan[] {
  const { timezone } = input;
  assertZone(timezone);
  const first = parseDate(input.from, 'from');
  const last = parseDate(input.to, 'to');
  if (last < first) return [];
  const dayCount = Math.round(last.diff(first, 'days').days) + 1;
  if (dayCount > MAX_RANGE_DAYS) throw new RangeError(`at most ${MAX_RANGE_DAYS} days, got ${dayCount}`);

  const windowsByWeekday = groupByWeekday(input.windows);
  const zone = IANAZone.create(timezone);
  const starts: number[] = [];
  const ends: number[] = [];

  // `dayNumber` walks the calendar (days since 1970-01-01); `dayStart` is the first instant of
  // that date in the doctor's zone. Zone lookups (Intl) are the expensive part, so an ordinary
  // day costs one: the offset 24 h later, which is then the next day's start.
  let dayNumber = Math.round(first.toMillis() / DAY_MS);
  let dayStart = firstInstantOf(timezone, first);
  let offset = zone.offset(dayStart);
  for (let index = 0; index < dayCount; index += 1) {
    const nextOffset = zone.offset(dayStart + DAY_MS);
    // The clock reads this date's midnight now and, at the same offset, the next one's 24 h
    // later: one offset all day. (This assumes a zone changes offset at most once within a day,
    // true of every zone in use.)
    const uniform = nextOffset === offset && dayStart + offset * MINUTE_MS === dayNumber * DAY_MS;
    const date = uniform ? null : DateTime.fromMillis((dayNumber + 1) * DAY_MS, { zone: 'utc' }).minus({ days: 1 });
    const nextDayStart = uniform ? dayStart + DAY_MS : firstInstantOf(timezone, date!.plus({ days: 1 }));
    const isoDate = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

    // 1970-01-01 was a Thursday (4).
    for (const window of windowsByWeekday[(dayNumber + 4) % 7] ?? []) {
      if (window.validFrom !== null && isoDate < window.validFrom) continue;
      if (window.validUntil !== null && isoDate > window.validUntil) continue;
      if (date === null) {
        // One offset all day: local minutes and elapsed minutes coincide.
        for (let minute = window.start; minute + window.slot <= window.end; minute += window.slot) {
          starts.push(dayStart + minute * MINUTE_MS);
          ends.push(dayStart + (minute + window.slot) * MINUTE_MS);
        }
      } else {
        const day: TransitionDay = { timezone, date, offsets: [...new Set([offset, zone.offset(nextDayStart)])], nextDayStart };
        cutTransitionDay(day, window, starts, ends);
      }
    }
    dayNumber += 1;
    dayStart = nextDayStart;
    offset = uniform ? nextOffset : zone.offset(nextDayStart);
  }

  const padding = { before: (input.bufferBeforeMinutes ?? 0) * MINUTE_MS, after: (input.bufferAfterMinutes ?? 0) * MINUTE_MS };
  return subtractBusy(starts, ends, input.busy, input.now.getTime(), padding);
}

/**
 * The UTC bounds of the local dates `from`..`to` (both included) in `timezone`, half-open:
 * `start` is the first instant of `from`, `end` the first instant of the day after `to`.
 * The busy rows that matter are those with `startsAt < end AND endsAt > start`.
 */
export function rangeInstants(timezone: string, from: string, to: string): { start: Date; end: Date } {
  assertZone(timezone);
  const first = parseDate(from, 'from');
  const afterLast = parseDate(to, 'to').plus({ days: 1 });
  return { start: new Date(firstInstantOf(timezone, first)), end: new Date(firstInstantOf(timezone, afterLast)) };
}

interface ParsedWindow {
  /** Minutes after local midnight. */
  start: number;
  end: number;
  slot: number;
  validFrom: string | null;
  validUntil: string | null;
}

function groupByWeekday(windows: readonly WeeklyWindow[]): ParsedWindow[][] {
  const byWeekday: ParsedWindow[][] = [[], [], [], [], [], [], []];
  for (const window of windows) {
    if (!Number.isInteger(window.weekday) || window.weekday < 0 || window.weekday > 6) {
      throw new RangeError(`weekday must be 0..6, got ${window.weekday}`);
    }
    // A slot shorter than a minute would never move the cutting loop forward.
    if (!Number.isInteger(window.slotMinutes) || window.slotMinutes < 1) {
      throw new RangeError(`slotMinutes must be a positive integer, got ${window.slotMinutes}`);
    }
    byWeekday[window.weekday]!.push({
      start: parseTime(window.startTime),
      end: parseTime(window.endTime),
      slot: window.slotMinutes,
      validFrom: window.validFrom,
      validUntil: window.validUntil,
    });
  }
  return byWeekday;
}

/** A local date on which the doctor's offset changes (or whose midnight is missing or repeated). */
interface TransitionDay {
  timezone: string;
  /** The calendar date (a UTC DateTime: only its calendar fields are used). */
  date: DateTime;
  /** The offsets (minutes) in use that day: the one at its start and the one at the next day's. */
  offsets: number[];
  /** The first instant of the next date (epoch ms). */
  nextDayStart: number;
}

/** Cuts one window on a transition day, resolving each slot start through Luxon. */
function cutTransitionDay(day: TransitionDay, window: ParsedWindow, starts: number[], ends: number[]): void {
  // `24:00` is the first instant of the next date; otherwise the first occurrence of endTime,
  // or null when endTime falls into a spring-forward gap.
  const endBound = window.end === MINUTES_PER_DAY ? day.nextDayStart : resolveOnTransitionDay(day, window.end);
  for (let minute = window.start; minute < window.end; minute += window.slot) {
    const start = resolveOnTransitionDay(day, minute);
    if (start === null) continue;
    const end = start + window.slot * MINUTE_MS;
    // With an endTime that exists, the first moment the clock shows it is `endBound`. The clock
    // never shows an endTime inside a gap, so read it just before the slot's end instead: it must
    // not have got there yet (on a day with a gap the clock never turns back).
    const endsInTime =
      endBound !== null ? end <= endBound : wallMinutesOn(day.timezone, day.date, end - 1) < window.end;
    if (!endsInTime) continue;
    starts.push(start);
    ends.push(end);
  }
}

/**
 * The instant (epoch ms) at which the doctor's clock reads `minutes` after midnight on a
 * transition day: null when that wall time does not exist (spring forward), the earlier
 * instant when it exists twice (fall back). Each offset of the day gives Luxon one candidate
 * instant, which counts only if the zone's clock really reads that wall time then. One zone
 * lookup per offset, where `resolveWallTime` needs about six.
 */
function resolveOnTransitionDay(day: TransitionDay, minutes: number): number | null {
  const wall = wallFields(day.date, minutes);
  let earliest: number | null = null;
  for (const offset of day.offsets) {
    const candidate = DateTime.fromObject(wall, { zone: FixedOffsetZone.instance(offset) });
    if (!readsWall(candidate.setZone(day.timezone), wall)) continue;
    if (earliest === null || candidate.toMillis() < earliest) earliest = candidate.toMillis();
  }
  return earliest;
}

/** The first instant of a local date: its (first) midnight, or the jump past a midnight that does not exist. */
function firstInstantOf(timezone: string, date: DateTime): number {
  // Luxon moves a non-existent wall time forward by the gap; for midnight that lands on the jump.
  return (
    resolveWallTime(timezone, date, 0) ??
    DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone: timezone }).toMillis()
  );
}

/**
 * The instant (epoch ms) at which the clock in `timezone` reads `minutes` after midnight of
 * `date`, on any day: null when that wall time does not exist, the earlier instant when it
 * exists twice.
 */
function resolveWallTime(timezone: string, date: DateTime, minutes: number): number | null {
  const wall = wallFields(date, minutes);
  const local = DateTime.fromObject(wall, { zone: timezone });
  // Luxon shifts a wall time inside a gap forward; a shifted answer means it does not exist.
  if (!readsWall(local, wall)) return null;
  // For a repeated wall time Luxon answers the later occurrence; both are among these.
  return Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
}

interface WallFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallFields(date: DateTime, minutes: number): WallFields {
  return { year: date.year, month: date.month, day: date.day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
}

function readsWall(local: DateTime, wall: WallFields): boolean {
  return (
    local.year === wall.year &&
    local.month === wall.month &&
    local.day === wall.day &&
    local.hour === wall.hour &&
    local.minute === wall.minute
  );
}

/** Minutes after midnight of `date` that the clock shows at `instant`; ±Infinity on another date. */
function wallMinutesOn(timezone: string, date: DateTime, instant: number): number {
  const local = DateTime.fromMillis(instant, { zone: timezone });
  const localDate = local.toISODate()!;
  const isoDate = date.toISODate()!;
  if (localDate !== isoDate) return localDate < isoDate ? -Infinity : Infinity;
  return local.hour * 60 + local.minute + local.second / 60 + local.millisecond / MINUTE_MS;
}

/**
 * Drops repeated, past and busy slots: a slot widened by `padding` must overlap no busy span.
 * Busy spans are sorted and merged once; slots are sorted by start and swept against them with
 * one forward-moving cursor: O((slots + busy) log n).
 */
function subtractBusy(
  starts: number[],
  ends: number[],
  busy: readonly TimeSpan[],
  now: number,
  padding: { before: number; after: number },
): TimeSpan[] {
  const merged = mergeBusy(busy);
  const order = starts.map((_, index) => index);
  order.sort((a, b) => starts[a]! - starts[b]! || ends[a]! - ends[b]!);

  const free: TimeSpan[] = [];
  let cursor = 0;
  let previousStart = Number.NaN;
  let previousEnd = Number.NaN;
  for (const index of order) {
    const start = starts[index]!;
    const end = ends[index]!;
    if (start === previousStart && end === previousEnd) continue;
    previousStart = start;
    previousEnd = end;
    if (start <= now) continue;
    // A busy span that ends by this padded start ends by every later one too.
    while (cursor < merged.length && merged[cursor]!.end <= start - padding.before) cursor += 1;
    const next = merged[cursor];
    if (next !== undefined && next.start < end + padding.after) continue;
    free.push({ startsAt: new Date(start), endsAt: new Date(end) });
  }
  return free;
}

/**
 * Busy spans as disjoint sorted [start, end) pairs. Touching spans merge safely: a slot has a
 * positive length, so it overlaps the union exactly when it overlaps one of them.
 */
function mergeBusy(busy: readonly TimeSpan[]): { start: number; end: number }[] {
  const spans = busy
    .map((span) => ({ start: span.startsAt.getTime(), end: span.endsAt.getTime() }))
    // An empty or inverted span occupies no time.
    .filter((span) => span.end > span.start)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push(span);
  }
  return merged;
}

function assertZone(timezone: string): void {
  // `create` caches the zone and its validity; `isValidZone` builds a new Intl formatter per call.
  if (!IANAZone.create(timezone).isValid) throw new RangeError(`unknown time zone: ${timezone}`);
}

/** A `YYYY-MM-DD` calendar date as a UTC DateTime, of which only the calendar fields are used. */
function parseDate(value: string, name: string): DateTime {
  const date = DATE_PATTERN.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : null;
  if (date === null || !date.isValid) throw new RangeError(`${name} must be a date YYYY-MM-DD, got ${value}`);
  return date;
}

/** `HH:MM` as minutes after midnight; `24:00` (the end of a window that runs to midnight) is allowed. */
function parseTime(value: string): number {
  const match = TIME_PATTERN.exec(value);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
  if (!match || Number(match[2]) > 59 || !(minutes <= MINUTES_PER_DAY)) {
    throw new RangeError(`time must be HH:MM, got ${value}`);
  }
  return minutes;
}
