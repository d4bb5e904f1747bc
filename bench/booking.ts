// Booking load shared by bench/scheduling.ts and bench/audit.ts: a doctor (Europe/Berlin) with 5
// windows a day on all 7 days (15-minute slots) and patients seeded by SQL, the free slots as the
// API lists them, and a wrk run that books distinct slots (wrk-booking.lua, or wrk-hold-book.lua:
// a hold, then the booking of it) and counts answers.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import type pg from 'pg';
import { benchDir, round2, runToCompletion } from './lib.ts';

export const ZONE = 'Europe/Berlin';
export const WINDOWS = [
  ['08:00', '09:30'],
  ['10:00', '11:30'],
  ['12:00', '13:30'],
  ['14:00', '15:30'],
  ['16:00', '17:30'],
] as const;
export const SLOT_MINUTES = 15;
export const PATIENTS = 50;
/** The longest range of free slots the API lists at once. */
export const RANGE_DAYS = 31;

export interface Slot {
  startsAt: string;
  endsAt: string;
}

/** The doctor, their windows and `patients` patients (all of one password). */
export async function seedPeople(client: pg.Client, passwordHash: string, patients = PATIENTS): Promise<{ doctorId: string; patientEmails: string[] }> {
  const doctor = await client.query<{ id: string }>(`
    WITH u AS (
      INSERT INTO users (id, email, password_hash, first_name, last_name, role, is_active, updated_at)
      VALUES (gen_random_uuid(), 'bench-doctor@example.com', 'x', 'Bench', 'Doctor', 'doctor', true, now()) RETURNING id)
    INSERT INTO doctors (id, user_id, timezone, updated_at) SELECT gen_random_uuid(), id, '${ZONE}', now() FROM u RETURNING id::text AS id`);
  const doctorId = doctor.rows[0]!.id;
  await client.query(
    `INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, d, w.s::time, w.e::time, $2::smallint, now(), now()
         FROM generate_series(0, 6) d CROSS JOIN unnest($3::text[], $4::text[]) AS w(s, e)`,
    [doctorId, SLOT_MINUTES, WINDOWS.map((w) => w[0]), WINDOWS.map((w) => w[1])],
  );
  await client.query(
    `WITH u AS (
       INSERT INTO users (id, email, password_hash, first_name, last_name, role, is_active, updated_at)
         SELECT gen_random_uuid(), 'bench-patient' || g || '@example.com', $1, 'Patient', 'No' || g, 'patient', true, now()
           FROM generate_series(1, $2::int) g RETURNING id)
     INSERT INTO patients (id, user_id, updated_at) SELECT gen_random_uuid(), id, now() FROM u`,
    [passwordHash, patients],
  );
  return { doctorId, patientEmails: Array.from({ length: patients }, (_, i) => `bench-patient${i + 1}@example.com`) };
}

export async function freeSlots(base: string, token: string, doctorId: string, from: string, to: string): Promise<Slot[]> {
  const response = await fetch(`${base}/v1/api/doctor/available-times-patient/?doctorId=${doctorId}&from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200) throw new Error(`free slots answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Slot[];
}

export const plusDays = (date: string, days: number) => DateTime.fromISO(date, { zone: ZONE }).plus({ days }).toISODate()!;

/** The free slots of `ranges` consecutive 31-day ranges from `from`. */
export async function freeSlotsFrom(base: string, token: string, doctorId: string, from: string, ranges: number): Promise<Slot[]> {
  const slots: Slot[] = [];
  for (let range = 0; range < ranges; range += 1) {
    const rangeFrom = plusDays(from, range * RANGE_DAYS);
    slots.push(...(await freeSlots(base, token, doctorId, rangeFrom, plusDays(rangeFrom, RANGE_DAYS - 1))));
  }
  return slots;
}

interface BookingJson {
  requests: number;
  /** Hold then book only: holds answered 201. */
  holds201?: number;
  durationUs: number;
  status201: number;
  status409: number;
  status5xx: number;
  statusOther: number;
  socketErrors: number;
  p50Us: number;
  p99Us: number;
}

export interface BookingResult {
  slotsListed: number;
  /** Hold then book only: holds answered 201. */
  holds201?: number;
  requests: number;
  durationSeconds: number;
  rps: number;
  bookedPerSecond: number;
  status201: number;
  status409: number;
  status5xx: number;
  statusOther: number;
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface BookingRun {
  base: string;
  doctorId: string;
  /** Patients' access tokens, taken in turn. */
  tokens: string[];
  slots: Slot[];
  connections: number;
  durationSeconds: number;
  /** Where the request list is written. */
  scratch: string;
}

/**
 * Through wrk, one listed slot a booking, patients in turn: POST appointment/patient/ with
 * doctorId and startsAt, or (`hold`) POST appointment/holds/ and then POST appointment/patient/
 * with its holdId. `status201` counts bookings.
 */
export async function runBookings(run: BookingRun & { hold?: boolean }): Promise<BookingResult> {
  const requestsFile = path.join(run.scratch, `bookings-${run.hold ? 'hold-' : ''}${run.slots[0]?.startsAt.replace(/\W/g, '') ?? 'none'}.tsv`);
  const lines = run.slots.map((slot, i) => {
    const body = run.hold ? { doctorId: run.doctorId, startsAt: slot.startsAt } : { doctorId: run.doctorId, startsAt: slot.startsAt, type: 'in_person', reason: 'Bench' };
    return `${run.tokens[i % run.tokens.length]}\t${JSON.stringify(body)}`;
  });
  await writeFile(requestsFile, `${lines.join('\n')}\n`);
  const threads = 1;
  const env = run.hold
    ? { BENCH_HOLD_PATH: '/v1/api/appointment/holds/', BENCH_BOOK_PATH: '/v1/api/appointment/patient/' }
    : { BENCH_PATH: '/v1/api/appointment/patient/', BENCH_THREADS: String(threads) };
  const script = path.join(benchDir, run.hold ? 'wrk-hold-book.lua' : 'wrk-booking.lua');
  const output = await runToCompletion(
    'wrk',
    'wrk',
    ['-t', String(threads), '-c', String(run.connections), '-d', `${run.durationSeconds}s`, '--timeout', '10s', '-s', script, run.base],
    { PATH: process.env.PATH, BENCH_REQUESTS_FILE: requestsFile, ...env },
    (run.durationSeconds + 30) * 1000,
  );
  const line = output.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no BENCH_JSON line:\n${output}`);
  const data = JSON.parse(line.slice('BENCH_JSON '.length)) as BookingJson;
  const seconds = data.durationUs / 1e6;
  return {
    slotsListed: run.slots.length,
    ...(data.holds201 === undefined ? {} : { holds201: data.holds201 }),
    requests: data.requests,
    durationSeconds: round2(seconds),
    rps: Math.round(data.requests / seconds),
    bookedPerSecond: Math.round(data.status201 / seconds),
    status201: data.status201,
    status409: data.status409,
    status5xx: data.status5xx,
    statusOther: data.statusOther,
    socketErrors: data.socketErrors,
    p50Ms: round2(data.p50Us / 1000),
    p99Ms: round2(data.p99Us / 1000),
  };
}

/** What went wrong in a booking run: 5xx, other answers, socket errors. */
export function bookingProblems(result: BookingResult): string[] {
  return [
    ...(result.status5xx > 0 ? [`${result.status5xx} answers were 5xx`] : []),
    ...(result.statusOther > 0 ? [`${result.statusOther} answers were neither 201, 409 nor 5xx`] : []),
    ...(result.socketErrors > 0 ? [`${result.socketErrors} socket errors`] : []),
  ];
}
