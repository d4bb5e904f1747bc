// Free slots through GET doctor/available-times-patient/: cutting, busy time, the past, range
// rules, and daylight-saving weeks in America/New_York and Europe/London.
import { PrismaPg } from '@prisma/adapter-pg';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../../src/generated/prisma/client.ts';
import { systemClock } from '../../../src/lib/clock.ts';
import { doctorsAvailableOn, freeSlotsOf } from '../../../src/modules/scheduling/availability.service.ts';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addWindow, call, freeSlots, localDate, weekdayOf, type Slot } from '../../helpers/scheduling.ts';

const t = useTestApp();
let patient: Actor<'patient'>;

beforeAll(async () => {
  patient = await loginAs(t, 'patient');
});

const slots = (doctorId: string, from: string, to: string, headers = patient.headers) => freeSlots(t, doctorId, from, to, headers);

const starts = (list: Slot[]) => list.map((slot) => slot.startsAt);

/** The n-th (1-based; -1 = last) Sunday of a month of `year`, as YYYY-MM-DD. */
function sunday(year: number, month: number, n: number): string {
  let day = DateTime.utc(year, month, 1);
  const sundays: DateTime[] = [];
  while (day.month === month) {
    if (day.weekday === 7) sundays.push(day);
    day = day.plus({ days: 1 });
  }
  return (n === -1 ? sundays.at(-1)! : sundays[n - 1]!).toISODate()!;
}

const YEAR = DateTime.utc().year + 1;

describe('free slots', () => {
  it('cuts windows into slots in the doctor’s zone and answers UTC instants, both dates included', async () => {
    const doctor = await loginAs(t, 'doctor', { timezone: 'Asia/Tokyo' });
    const date = localDate(3, 'Asia/Tokyo');
    await addWindow(t.db, doctor.profileId, { weekday: weekdayOf(date), startTime: '09:00', endTime: '10:30', slotMinutes: 30 });
    const list = await slots(doctor.profileId, date, date);
    const midnightUtc = DateTime.fromISO(`${date}T00:00`, { zone: 'Asia/Tokyo' }).toUTC();
    const at = (minutes: number) => midnightUtc.plus({ minutes }).toISO({ suppressMilliseconds: false });
    expect(list).toEqual([
      { startsAt: at(540), endsAt: at(570) },
      { startsAt: at(570), endsAt: at(600) },
      { startsAt: at(600), endsAt: at(630) },
    ]);
    // A week later the same weekday has the same slots again; days without windows have none.
    const week = await slots(doctor.profileId, date, localDate(9, 'Asia/Tokyo'));
    expect(week).toHaveLength(3);
    expect(await slots(doctor.profileId, date, localDate(10, 'Asia/Tokyo'))).toHaveLength(6);
  });

  it('leaves out active appointments, time off and the past, but not cancelled appointments', async () => {
    const doctor = await loginAs(t, 'doctor');
    const date = localDate(2);
    await addWindow(t.db, doctor.profileId, { weekday: weekdayOf(date), startTime: '08:00', endTime: '12:00', slotMinutes: 60 });
    const base = new Date(`${date}T00:00:00Z`).getTime();
    const hour = (h: number) => new Date(base + h * 3_600_000);
    await t.db.appointment.create({ data: { patientId: patient.profileId, doctorId: doctor.profileId, startsAt: hour(8), endsAt: hour(9), status: 'pending' } });
    await t.db.appointment.create({ data: { patientId: patient.profileId, doctorId: doctor.profileId, startsAt: hour(9), endsAt: hour(10), status: 'cancelled' } });
    // Time off that only overlaps part of the 10:00 slot still takes it.
    await t.db.doctorTimeOff.create({ data: { doctorId: doctor.profileId, startsAt: new Date(hour(10).getTime() + 15 * 60_000), endsAt: hour(11) } });
    expect(starts(await slots(doctor.profileId, date, date))).toEqual([hour(9).toISOString(), hour(11).toISOString()]);

    // Move the clock to 09:30 that day: only 11:00 remains (09:00 started already).
    t.clock.advance(hour(9.5).getTime() - t.clock.now().getTime());
    try {
      const headers = bearer(await login(t.app, patient.user));
      expect(starts(await slots(doctor.profileId, date, date, headers))).toEqual([hour(11).toISOString()]);
    } finally {
      t.clock.reset();
    }
  });

  it('a doctor not accepting patients offers nothing', async () => {
    const doctor = await loginAs(t, 'doctor', { acceptingPatients: false });
    const date = localDate(2);
    await addWindow(t.db, doctor.profileId, { weekday: weekdayOf(date), startTime: '08:00', endTime: '12:00' });
    expect(await slots(doctor.profileId, date, date)).toEqual([]);
  });

  it('range rules: at most 31 days, to not before from, real dates; unknown doctor 404; anyone, signed in or not', async () => {
    const doctor = await loginAs(t, 'doctor');
    await addWindow(t.db, doctor.profileId, { weekday: 1, startTime: '08:00', endTime: '09:00' });
    const from = localDate(1);
    const d = (days: number) => DateTime.fromISO(from).plus({ days }).toISODate()!;
    expect((await slots(doctor.profileId, from, d(30))).length).toBeGreaterThanOrEqual(8);
    const get = (query: string, headers: Record<string, string> | undefined = patient.headers) =>
      call(t.app, 'GET', `doctor/available-times-patient/?${query}`, { headers });
    expectFieldError(await get(`doctorId=${doctor.profileId}&from=${from}&to=${d(31)}`), 'query.to');
    expectFieldError(await get(`doctorId=${doctor.profileId}&from=${from}&to=${d(-1)}`), 'query.to');
    expectFieldError(await get(`doctorId=${doctor.profileId}&from=2031-02-30&to=2031-03-01`), 'query.from');
    expectFieldError(await get(`doctorId=${doctor.profileId}&from=${from}`), 'query.to');
    expectFieldError(await get(`doctorId=nope&from=${from}&to=${from}`), 'query.doctorId');
    expectFieldError(await get(`doctorId=${doctor.profileId}&from=${from}%00&to=${from}`), 'query.from');
    expectProblem(await get(`doctorId=00000000-0000-4000-8000-000000000000&from=${from}&to=${from}`), 404, 'not_found');
    // Public since v1.1: booking pages show availability before login.
    expect((await get(`doctorId=${doctor.profileId}&from=${from}&to=${from}`, {})).statusCode).toBe(200);
    expect((await get(`doctorId=${doctor.profileId}&from=${from}&to=${d(6)}`, doctor.headers)).statusCode).toBe(200);
  });
});

describe('free slots cost', () => {
  it('a 31-day range with 5 windows a day and many appointments takes one SQL statement', async () => {
    const doctor = await loginAs(t, 'doctor', { timezone: 'Europe/Berlin' });
    for (let weekday = 0; weekday < 7; weekday += 1) {
      for (const [start, end] of [['08:00', '09:30'], ['10:00', '11:30'], ['12:00', '13:30'], ['14:00', '15:30'], ['16:00', '17:30']] as const) {
        await addWindow(t.db, doctor.profileId, { weekday, startTime: start, endTime: end, slotMinutes: 30 });
      }
    }
    const from = localDate(1, 'Europe/Berlin');
    const to = DateTime.fromISO(from).plus({ days: 30 }).toISODate()!;
    const all = await slots(doctor.profileId, from, to);
    expect(all).toHaveLength(31 * 15);
    await t.db.appointment.createMany({
      data: all.filter((_, i) => i % 3 === 0).map((slot) => ({
        patientId: patient.profileId,
        doctorId: doctor.profileId,
        startsAt: new Date(slot.startsAt),
        endsAt: new Date(slot.endsAt),
        status: 'confirmed' as const,
      })),
    });

    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: t.config.database.url, max: 1 }), log: [{ emit: 'event', level: 'query' }] });
    try {
      const statements: string[] = [];
      client.$on('query', (event) => statements.push(event.query));
      const free = await freeSlotsOf({ db: client, clock: systemClock }, { doctorId: doctor.profileId, from, to });
      expect(free).toHaveLength(all.length - Math.ceil(all.length / 3));
      expect(statements.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql.trim()))).toHaveLength(1);
    } finally {
      await client.$disconnect();
    }
  });
});

describe('doctors available on a date (for the doctor list)', () => {
  it('keeps doctors with at least one free slot that local day, in one statement', async () => {
    const date = localDate(4);
    const weekday = weekdayOf(date);
    const [open, full, closed, elsewhere, away] = await Promise.all([
      loginAs(t, 'doctor'),
      loginAs(t, 'doctor'),
      loginAs(t, 'doctor', { acceptingPatients: false }),
      loginAs(t, 'doctor'),
      loginAs(t, 'doctor'),
    ]);
    for (const doctor of [open, full, closed, away]) await addWindow(t.db, doctor.profileId, { weekday, startTime: '10:00', endTime: '11:00', slotMinutes: 60 });
    await addWindow(t.db, elsewhere.profileId, { weekday: (weekday + 1) % 7, startTime: '10:00', endTime: '11:00', slotMinutes: 60 });
    await t.db.appointment.create({
      data: { patientId: patient.profileId, doctorId: full.profileId, startsAt: new Date(`${date}T10:00:00Z`), endsAt: new Date(`${date}T11:00:00Z`), status: 'pending' },
    });
    await t.db.doctorTimeOff.create({ data: { doctorId: away.profileId, startsAt: new Date(`${date}T00:00:00Z`), endsAt: new Date(`${date}T23:59:00Z`) } });
    const ids = [open, full, closed, elsewhere, away].map((d) => d.profileId);
    const ctx = { db: t.db, clock: systemClock };
    expect([...(await doctorsAvailableOn(ctx, { doctorIds: ids, date }))]).toEqual([open.profileId]);
    expect((await doctorsAvailableOn(ctx, { doctorIds: [], date })).size).toBe(0);
  });
});

describe('free slots across daylight-saving changes', () => {
  it('America/New_York spring forward: 02:00-02:59 does not exist and is skipped', async () => {
    const doctor = await loginAs(t, 'doctor', { timezone: 'America/New_York' });
    const day = sunday(YEAR, 3, 2);
    await addWindow(t.db, doctor.profileId, { weekday: 0, startTime: '01:00', endTime: '04:00', slotMinutes: 30 });
    // 01:00 and 01:30 EST (UTC-5), then 03:00 and 03:30 EDT (UTC-4); the whole week has only this Sunday.
    expect(starts(await slots(doctor.profileId, DateTime.fromISO(day).minus({ days: 3 }).toISODate()!, DateTime.fromISO(day).plus({ days: 3 }).toISODate()!))).toEqual([
      `${day}T06:00:00.000Z`,
      `${day}T06:30:00.000Z`,
      `${day}T07:00:00.000Z`,
      `${day}T07:30:00.000Z`,
    ]);
    // The week before: an ordinary Sunday has all six, at UTC-5.
    const before = DateTime.fromISO(day).minus({ days: 7 }).toISODate()!;
    expect(await slots(doctor.profileId, before, before)).toHaveLength(6);
  });

  it('America/New_York fall back: 01:00-01:59 occurs twice and is offered once, at its first occurrence', async () => {
    const doctor = await loginAs(t, 'doctor', { timezone: 'America/New_York' });
    const day = sunday(YEAR, 11, 1);
    await addWindow(t.db, doctor.profileId, { weekday: 0, startTime: '00:00', endTime: '03:00', slotMinutes: 60 });
    // 00:00 EDT (04:00Z), 01:00 EDT (05:00Z, the first 01:00), 02:00 EST (07:00Z).
    expect(await slots(doctor.profileId, day, day)).toEqual([
      { startsAt: `${day}T04:00:00.000Z`, endsAt: `${day}T05:00:00.000Z` },
      { startsAt: `${day}T05:00:00.000Z`, endsAt: `${day}T06:00:00.000Z` },
      { startsAt: `${day}T07:00:00.000Z`, endsAt: `${day}T08:00:00.000Z` },
    ]);
  });

  it('Europe/London spring forward and fall back weeks', async () => {
    const doctor = await loginAs(t, 'doctor', { timezone: 'Europe/London' });
    await addWindow(t.db, doctor.profileId, { weekday: 0, startTime: '00:00', endTime: '03:00', slotMinutes: 60 });
    const spring = sunday(YEAR, 3, -1);
    // 00:00 GMT, 01:00 does not exist, 02:00 BST = 01:00Z.
    expect(starts(await slots(doctor.profileId, DateTime.fromISO(spring).minus({ days: 6 }).toISODate()!, spring))).toEqual([
      `${spring}T00:00:00.000Z`,
      `${spring}T01:00:00.000Z`,
    ]);
    const autumn = sunday(YEAR, 10, -1);
    const saturday = DateTime.fromISO(autumn).minus({ days: 1 }).toISODate()!;
    // 00:00 BST (23:00Z the day before), 01:00 BST (00:00Z, first occurrence), 02:00 GMT.
    expect(starts(await slots(doctor.profileId, autumn, DateTime.fromISO(autumn).plus({ days: 6 }).toISODate()!))).toEqual([
      `${saturday}T23:00:00.000Z`,
      `${autumn}T00:00:00.000Z`,
      `${autumn}T02:00:00.000Z`,
    ]);
  });
});
