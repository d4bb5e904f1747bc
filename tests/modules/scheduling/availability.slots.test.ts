// Unit tests of free slots: cutting, validity dates, busy time, the past, DST days against a clock oracle, a busy month.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  computeFreeSlots,
  MAX_RANGE_DAYS,
  rangeInstants,
  type FreeSlotsInput,
  type TimeSpan,
  type WeeklyWindow,
} from '../../../src/modules/scheduling/availability.slots.ts';

const LONG_AGO = new Date('2000-01-01T00:00:00Z');

function window(
  weekday: number,
  startTime: string,
  endTime: string,
  slotMinutes: number,
  valid: Partial<WeeklyWindow> = {},
): WeeklyWindow {
  return { weekday, startTime, endTime, slotMinutes, validFrom: null, validUntil: null, ...valid };
}

function slots(input: Partial<FreeSlotsInput> & Pick<FreeSlotsInput, 'timezone' | 'windows' | 'from' | 'to'>): TimeSpan[] {
  return computeFreeSlots({ busy: [], now: LONG_AGO, ...input });
}

/** Slots as `start/end` ISO strings: one readable value to compare. */
function iso(spans: readonly TimeSpan[]): string[] {
  return spans.map((span) => `${span.startsAt.toISOString()}/${span.endsAt.toISOString()}`);
}

function span(start: string, end: string): TimeSpan {
  return { startsAt: new Date(start), endsAt: new Date(end) };
}

describe('computeFreeSlots: cutting windows', () => {
  it('cuts a week of windows into consecutive slots, as UTC instants, sorted', () => {
    // Europe/Berlin is UTC+2 in June. 2026-06-01 is a Monday; weekday 0 is Sunday.
    const result = slots({
      timezone: 'Europe/Berlin',
      windows: [window(3, '14:00', '15:00', 20), window(1, '09:00', '11:00', 30), window(0, '10:00', '10:30', 30)],
      from: '2026-06-01',
      to: '2026-06-07',
    });
    expect(iso(result)).toEqual([
      '2026-06-01T07:00:00.000Z/2026-06-01T07:30:00.000Z',
      '2026-06-01T07:30:00.000Z/2026-06-01T08:00:00.000Z',
      '2026-06-01T08:00:00.000Z/2026-06-01T08:30:00.000Z',
      '2026-06-01T08:30:00.000Z/2026-06-01T09:00:00.000Z',
      '2026-06-03T12:00:00.000Z/2026-06-03T12:20:00.000Z',
      '2026-06-03T12:20:00.000Z/2026-06-03T12:40:00.000Z',
      '2026-06-03T12:40:00.000Z/2026-06-03T13:00:00.000Z',
      '2026-06-07T08:00:00.000Z/2026-06-07T08:30:00.000Z',
    ]);
  });

  it('offers only slots that end by endTime, and a window may run to 24:00', () => {
    const result = slots({
      timezone: 'UTC',
      windows: [window(1, '09:00', '10:45', 30), window(1, '22:30', '24:00', 45)],
      from: '2026-06-01',
      to: '2026-06-01',
    });
    expect(iso(result)).toEqual([
      '2026-06-01T09:00:00.000Z/2026-06-01T09:30:00.000Z',
      '2026-06-01T09:30:00.000Z/2026-06-01T10:00:00.000Z',
      '2026-06-01T10:00:00.000Z/2026-06-01T10:30:00.000Z',
      '2026-06-01T22:30:00.000Z/2026-06-01T23:15:00.000Z',
      '2026-06-01T23:15:00.000Z/2026-06-02T00:00:00.000Z',
    ]);
  });

  it('answers each slot once even when two windows yield it', () => {
    const result = slots({
      timezone: 'UTC',
      windows: [window(1, '09:00', '10:00', 30), window(1, '09:00', '10:00', 30)],
      from: '2026-06-01',
      to: '2026-06-01',
    });
    expect(result).toHaveLength(2);
  });

  it('honours validFrom and validUntil, both included', () => {
    const result = slots({
      timezone: 'UTC',
      windows: [
        window(1, '09:00', '09:30', 30, { validFrom: '2026-06-08', validUntil: '2026-06-15' }),
        window(2, '09:00', '09:30', 30, { validUntil: '2026-06-02' }),
        window(3, '09:00', '09:30', 30, { validFrom: '2026-06-17' }),
      ],
      from: '2026-06-01',
      to: '2026-06-22',
    });
    expect(result.map((slot) => slot.startsAt.toISOString().slice(0, 10))).toEqual([
      '2026-06-02',
      '2026-06-08',
      '2026-06-15',
      '2026-06-17',
    ]);
  });

  it('answers nothing for an empty range, and refuses a range over MAX_RANGE_DAYS or malformed input', () => {
    const windows = [window(1, '09:00', '10:00', 30)];
    expect(slots({ timezone: 'UTC', windows, from: '2026-06-08', to: '2026-06-01' })).toEqual([]);
    expect(MAX_RANGE_DAYS).toBe(31);
    expect(slots({ timezone: 'UTC', windows, from: '2026-06-01', to: '2026-07-01' }).length).toBeGreaterThan(0);
    expect(() => slots({ timezone: 'UTC', windows, from: '2026-06-01', to: '2026-07-02' })).toThrow(RangeError);
    expect(() => slots({ timezone: 'Mars/Olympus', windows, from: '2026-06-01', to: '2026-06-01' })).toThrow(RangeError);
    expect(() => slots({ timezone: 'UTC', windows, from: '2026-02-30', to: '2026-03-01' })).toThrow(RangeError);
    const oneDay = { timezone: 'UTC', from: '2026-06-01', to: '2026-06-01' };
    expect(() => slots({ ...oneDay, windows: [window(1, '9:00', '10:00', 30)] })).toThrow(RangeError);
    expect(() => slots({ ...oneDay, windows: [window(1, '09:00', '10:00', 0)] })).toThrow(RangeError);
  });
});

describe('computeFreeSlots: busy time and the past', () => {
  // Monday 2026-06-01, UTC: 09:00, 09:30, 10:00, 10:30, 11:00, 11:30.
  const base = { timezone: 'UTC', windows: [window(1, '09:00', '12:00', 30)], from: '2026-06-01', to: '2026-06-01' };
  const startTimes = (spans: TimeSpan[]) => spans.map((slot) => slot.startsAt.toISOString().slice(11, 16));

  it('removes slots a busy span overlaps even partly; spans that only touch a slot leave it', () => {
    const result = slots({
      ...base,
      busy: [
        span('2026-06-01T10:45:00Z', '2026-06-01T11:05:00Z'), // partial overlap of 10:30 and 11:00
        span('2026-06-01T09:30:00Z', '2026-06-01T10:00:00Z'), // exactly 09:30, touching 09:00 and 10:00
      ],
    });
    expect(startTimes(result)).toEqual(['09:00', '10:00', '11:30']);
  });

  it('treats back-to-back busy spans as one block and keeps the slots on either side', () => {
    const result = slots({
      ...base,
      busy: [
        span('2026-06-01T10:00:00Z', '2026-06-01T10:30:00Z'),
        span('2026-06-01T09:30:00Z', '2026-06-01T10:00:00Z'),
        span('2026-06-01T11:30:00Z', '2026-06-01T12:00:00Z'),
      ],
    });
    expect(startTimes(result)).toEqual(['09:00', '10:30', '11:00']);
  });

  it('lets a long span (a time-off block) that began the day before remove everything it covers', () => {
    const result = slots({ ...base, busy: [span('2026-05-28T00:00:00Z', '2026-06-01T10:01:00Z')] });
    expect(startTimes(result)).toEqual(['10:30', '11:00', '11:30']);
  });

  it('ignores busy spans that occupy no time', () => {
    const result = slots({ ...base, busy: [span('2026-06-01T09:15:00Z', '2026-06-01T09:15:00Z')] });
    expect(result).toHaveLength(6);
  });

  it('removes slots that start at or before now', () => {
    expect(startTimes(slots({ ...base, now: new Date('2026-06-01T10:00:00Z') }))).toEqual(['10:30', '11:00', '11:30']);
    const justBefore = new Date('2026-06-01T09:59:59.999Z');
    expect(startTimes(slots({ ...base, now: justBefore }))).toEqual(['10:00', '10:30', '11:00', '11:30']);
    expect(slots({ ...base, now: new Date('2026-06-02T00:00:00Z') })).toEqual([]);
  });
});

describe('computeFreeSlots: daylight saving time', () => {
  // Every day of a week, 00:30–03:30 local in 30-minute slots, around each change.
  const nightly = [0, 1, 2, 3, 4, 5, 6].map((weekday) => window(weekday, '00:30', '03:30', 30));
  const onDate = (spans: TimeSpan[], timezone: string, date: string) =>
    iso(spans.filter((slot) => DateTime.fromJSDate(slot.startsAt, { zone: timezone }).toISODate() === date));

  it('America/New_York spring forward (2026-03-08): 02:00 and 02:30 do not exist and are skipped', () => {
    const result = slots({ timezone: 'America/New_York', windows: nightly, from: '2026-03-05', to: '2026-03-11' });
    expect(onDate(result, 'America/New_York', '2026-03-07')[0]).toBe('2026-03-07T05:30:00.000Z/2026-03-07T06:00:00.000Z');
    expect(onDate(result, 'America/New_York', '2026-03-08')).toEqual([
      '2026-03-08T05:30:00.000Z/2026-03-08T06:00:00.000Z', // 00:30 EST
      '2026-03-08T06:00:00.000Z/2026-03-08T06:30:00.000Z', // 01:00 EST
      '2026-03-08T06:30:00.000Z/2026-03-08T07:00:00.000Z', // 01:30 EST, ends at the jump (03:00 EDT)
      '2026-03-08T07:00:00.000Z/2026-03-08T07:30:00.000Z', // 03:00 EDT
    ]);
    expect(onDate(result, 'America/New_York', '2026-03-09')[0]).toBe('2026-03-09T04:30:00.000Z/2026-03-09T05:00:00.000Z');
    expect(result).toHaveLength(6 * 6 + 4);
  });

  it('America/New_York fall back (2026-11-01): 01:00 and 01:30 are offered once, at the first (EDT) occurrence', () => {
    const result = slots({ timezone: 'America/New_York', windows: nightly, from: '2026-10-29', to: '2026-11-04' });
    expect(onDate(result, 'America/New_York', '2026-10-31')[0]).toBe('2026-10-31T04:30:00.000Z/2026-10-31T05:00:00.000Z');
    expect(onDate(result, 'America/New_York', '2026-11-01')).toEqual([
      '2026-11-01T04:30:00.000Z/2026-11-01T05:00:00.000Z', // 00:30 EDT
      '2026-11-01T05:00:00.000Z/2026-11-01T05:30:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z/2026-11-01T06:00:00.000Z', // 01:30 EDT, ends at 01:00 EST
      '2026-11-01T07:00:00.000Z/2026-11-01T07:30:00.000Z', // 02:00 EST
      '2026-11-01T07:30:00.000Z/2026-11-01T08:00:00.000Z', // 02:30 EST
      '2026-11-01T08:00:00.000Z/2026-11-01T08:30:00.000Z', // 03:00 EST
    ]);
    expect(onDate(result, 'America/New_York', '2026-11-02')[0]).toBe('2026-11-02T05:30:00.000Z/2026-11-02T06:00:00.000Z');
    expect(result).toHaveLength(7 * 6);
  });

  it('Europe/London spring forward (2026-03-29): 01:00 and 01:30 do not exist and are skipped', () => {
    const result = slots({ timezone: 'Europe/London', windows: nightly, from: '2026-03-26', to: '2026-04-01' });
    expect(onDate(result, 'Europe/London', '2026-03-29')).toEqual([
      '2026-03-29T00:30:00.000Z/2026-03-29T01:00:00.000Z', // 00:30 GMT, ends at the jump (02:00 BST)
      '2026-03-29T01:00:00.000Z/2026-03-29T01:30:00.000Z', // 02:00 BST
      '2026-03-29T01:30:00.000Z/2026-03-29T02:00:00.000Z', // 02:30 BST
      '2026-03-29T02:00:00.000Z/2026-03-29T02:30:00.000Z', // 03:00 BST
    ]);
    expect(onDate(result, 'Europe/London', '2026-03-30')[0]).toBe('2026-03-29T23:30:00.000Z/2026-03-30T00:00:00.000Z');
    expect(result).toHaveLength(6 * 6 + 4);
  });

  it('Europe/London fall back (2026-10-25): 01:00 and 01:30 are offered once, at the first (BST) occurrence', () => {
    const result = slots({ timezone: 'Europe/London', windows: nightly, from: '2026-10-22', to: '2026-10-28' });
    expect(onDate(result, 'Europe/London', '2026-10-25')).toEqual([
      '2026-10-24T23:30:00.000Z/2026-10-25T00:00:00.000Z', // 00:30 BST
      '2026-10-25T00:00:00.000Z/2026-10-25T00:30:00.000Z', // 01:00 BST
      '2026-10-25T00:30:00.000Z/2026-10-25T01:00:00.000Z', // 01:30 BST, ends at 01:00 GMT
      '2026-10-25T02:00:00.000Z/2026-10-25T02:30:00.000Z', // 02:00 GMT
      '2026-10-25T02:30:00.000Z/2026-10-25T03:00:00.000Z', // 02:30 GMT
      '2026-10-25T03:00:00.000Z/2026-10-25T03:30:00.000Z', // 03:00 GMT
    ]);
    expect(onDate(result, 'Europe/London', '2026-10-26')[0]).toBe('2026-10-26T00:30:00.000Z/2026-10-26T01:00:00.000Z');
    expect(result).toHaveLength(7 * 6);
  });

  it('keeps the real slot length and drops a slot whose end the jump carries past endTime', () => {
    const newYork = (startTime: string, endTime: string, minutes: number, date: string, weekday = 0) =>
      iso(slots({ timezone: 'America/New_York', windows: [window(weekday, startTime, endTime, minutes)], from: date, to: date }));
    // 01:30 EST + 60 min = 03:30 EDT, later than 03:00: the window is 30 real minutes that day.
    expect(newYork('01:30', '03:00', 60, '2026-03-08')).toEqual([]);
    // endTime 02:30 never shows; the window ends at the jump (07:00Z), so 01:30–(03:00 EDT) fits.
    expect(newYork('01:00', '02:30', 30, '2026-03-08')).toEqual([
      '2026-03-08T06:00:00.000Z/2026-03-08T06:30:00.000Z',
      '2026-03-08T06:30:00.000Z/2026-03-08T07:00:00.000Z',
    ]);
    // A repeated endTime ends the window at its first occurrence: 01:00 EDT + 60 min would pass it.
    expect(newYork('00:30', '01:30', 60, '2026-11-01')).toEqual(['2026-11-01T04:30:00.000Z/2026-11-01T05:30:00.000Z']);
    // 01:30 EDT to 02:00 EST is 90 real minutes, so a 60-minute slot fits (it ends at 01:30 EST).
    expect(newYork('01:30', '02:00', 60, '2026-11-01')).toEqual(['2026-11-01T05:30:00.000Z/2026-11-01T06:30:00.000Z']);
  });

  /**
   * The rules read straight off the clock: walk every minute around `date` and note what the
   * local clock shows. A slot starts at the first instant the clock shows a grid time of that
   * date, and must end by the first instant it shows endTime or later.
   */
  function readClock(timezone: string, date: string): { instant: number; minute: number }[] {
    const readings: { instant: number; minute: number }[] = [];
    const midnightUtc = Date.parse(`${date}T00:00:00Z`);
    for (let instant = midnightUtc - 16 * 3_600_000; instant <= midnightUtc + 40 * 3_600_000; instant += 60_000) {
      const local = DateTime.fromMillis(instant, { zone: timezone });
      const localDate = local.toISODate()!;
      // Minutes after midnight of `date`; the day before counts as negative, the day after as 1440+.
      const dayShift = localDate === date ? 0 : localDate < date ? -1440 : 1440;
      readings.push({ instant, minute: dayShift + local.hour * 60 + local.minute });
    }
    return readings;
  }

  function oracle(
    readings: { instant: number; minute: number }[],
    startTime: string,
    endTime: string,
    slotMinutes: number,
  ): string[] {
    const toMinutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
    const [start, end] = [toMinutes(startTime), toMinutes(endTime)];
    const endBound = readings.find((reading) => reading.minute >= end)!.instant;
    const expected: string[] = [];
    for (let minute = start; minute < end; minute += slotMinutes) {
      const slotStart = readings.find((reading) => reading.minute === minute)?.instant;
      if (slotStart === undefined) continue;
      const slotEnd = slotStart + slotMinutes * 60_000;
      if (slotEnd <= endBound) expected.push(`${new Date(slotStart).toISOString()}/${new Date(slotEnd).toISOString()}`);
    }
    return expected;
  }

  const changeDays: [string, string][] = [
    ['America/New_York', '2026-03-08'],
    ['America/New_York', '2026-11-01'],
    ['Europe/London', '2026-03-29'],
    ['Europe/London', '2026-10-25'],
    ['Australia/Lord_Howe', '2026-04-05'], // half-hour change: 02:00 back to 01:30
    ['Australia/Lord_Howe', '2026-10-04'], // 02:00 forward to 02:30
    ['America/Santiago', '2026-09-06'], // midnight does not exist
    ['America/Santiago', '2026-04-04'], // 23:00–24:00 happens twice
    ['Pacific/Apia', '2011-12-30'], // the whole day was skipped
    ['Asia/Kolkata', '2026-03-08'], // no change at all
  ];
  const shapes: [string, string, number][] = [
    ['00:00', '24:00', 45],
    ['00:30', '03:30', 30],
    ['01:00', '02:30', 30],
    ['01:30', '03:00', 60],
    ['01:15', '02:45', 20],
    ['22:00', '24:00', 25],
    ['23:00', '24:00', 30],
  ];

  it.each(changeDays)('agrees with a minute-by-minute reading of the clock in %s on %s', (timezone, date) => {
    const weekday = DateTime.fromISO(date, { zone: 'utc' }).weekday % 7;
    const readings = readClock(timezone, date);
    let offered = 0;
    for (const [startTime, endTime, slotMinutes] of shapes) {
      const actual = iso(slots({ timezone, windows: [window(weekday, startTime, endTime, slotMinutes)], from: date, to: date }));
      expect(actual, `${startTime}-${endTime}/${slotMinutes}`).toEqual(oracle(readings, startTime, endTime, slotMinutes));
      offered += actual.length;
    }
    // Only Apia's skipped day offers nothing.
    expect(offered > 0).toBe(timezone !== 'Pacific/Apia');
  });
});

describe('rangeInstants', () => {
  it('spans the local dates, both included, as a half-open UTC range', () => {
    expect(rangeInstants('Europe/Berlin', '2026-06-01', '2026-06-30')).toEqual({
      start: new Date('2026-05-31T22:00:00Z'),
      end: new Date('2026-06-30T22:00:00Z'),
    });
    // A 23-hour day and a 25-hour day.
    expect(rangeInstants('America/New_York', '2026-03-08', '2026-03-08')).toEqual({
      start: new Date('2026-03-08T05:00:00Z'),
      end: new Date('2026-03-09T04:00:00Z'),
    });
    expect(rangeInstants('Europe/London', '2026-10-25', '2026-10-25')).toEqual({
      start: new Date('2026-10-24T23:00:00Z'),
      end: new Date('2026-10-26T00:00:00Z'),
    });
  });

  it('starts a day whose midnight does not exist at the jump', () => {
    // Santiago moves 00:00 to 01:00 on 2026-09-06: the day begins at 01:00 -03.
    expect(rangeInstants('America/Santiago', '2026-09-06', '2026-09-06').start).toEqual(new Date('2026-09-06T04:00:00Z'));
  });
});

describe('computeFreeSlots: a month of five windows a day against 500 busy spans', () => {
  const timezone = 'Europe/Berlin'; // no offset change from 2026-06-01 to 2026-07-01
  const shapes: [string, string, number][] = [
    ['08:00', '09:30', 15],
    ['10:00', '12:00', 30],
    ['13:00', '15:00', 20],
    ['16:00', '18:00', 45],
    ['19:00', '21:00', 60],
  ];
  const windows = [0, 1, 2, 3, 4, 5, 6].flatMap((weekday) =>
    shapes.map(([startTime, endTime, slotMinutes]) => window(weekday, startTime, endTime, slotMinutes)),
  );
  // A small seeded generator, so the case is the same on every run.
  let seed = 20_260_601;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const rangeStart = Date.parse('2026-05-31T22:00:00Z');
  const busy: TimeSpan[] = Array.from({ length: 500 }, (_, index) => {
    // Every fifth span starts on a quarter hour, so many of them touch slot edges exactly.
    const minute = index % 5 === 0 ? Math.floor(random() * 31 * 96) * 15 : Math.floor(random() * 31 * 1440);
    const startsAt = rangeStart + minute * 60_000;
    return { startsAt: new Date(startsAt), endsAt: new Date(startsAt + (5 + Math.floor(random() * 90)) * 60_000) };
  });
  const now = new Date('2026-06-03T09:10:00Z');
  const input: FreeSlotsInput = { timezone, windows, from: '2026-06-01', to: '2026-07-01', busy, now };

  it('answers exactly the slots a brute-force scan finds', () => {
    const expected: string[] = [];
    for (let day = 0; day < 31; day += 1) {
      const date = DateTime.fromISO('2026-06-01', { zone: timezone }).plus({ days: day });
      for (const [startTime, endTime, slotMinutes] of shapes) {
        let slotStart = DateTime.fromISO(`${date.toISODate()}T${startTime}`, { zone: timezone });
        const windowEnd = DateTime.fromISO(`${date.toISODate()}T${endTime}`, { zone: timezone });
        while (slotStart.plus({ minutes: slotMinutes }) <= windowEnd) {
          const slotEnd = slotStart.plus({ minutes: slotMinutes });
          const taken = busy.some((b) => b.startsAt.getTime() < slotEnd.toMillis() && slotStart.toMillis() < b.endsAt.getTime());
          if (!taken && slotStart.toMillis() > now.getTime()) {
            expected.push(`${slotStart.toUTC().toISO()}/${slotEnd.toUTC().toISO()}`);
          }
          slotStart = slotEnd;
        }
      }
    }
    expected.sort();

    const actual = iso(computeFreeSlots(input));
    expect(actual).toHaveLength(expected.length);
    expect(actual).toEqual(expected);
    // Guard against a vacuous case: busy spans and the past both removed something.
    expect(expected.length).toBeGreaterThan(200);
    expect(expected.length).toBeLessThan(31 * 20 - 50);
  });
});
