// `node bench/scheduling.ts [--quick]` (`npm run bench:scheduling`): scheduling under load, in
// production mode (issues 9 and 16, item 11). Seeded by SQL: one doctor (Europe/Berlin) with 5
// weekly windows a day on all 7 days (15-minute slots, 30 a day) and 500 appointments booked over
// the next 31 days, and 500 patients (a patient may have 5 upcoming bookings with one doctor, and
// 3 requested: the booking run needs many). Reports
//   - free slots, GET doctor/available-times-patient/ over a 31-day range (authenticated), p50
//     and p99 at 10 connections (target p99 ≤ 50 ms) and at 1;
//   - hold+book throughput of distinct slots at 50 connections: the free slots of the months
//     after are listed first (through the API), then a wrk script walks them, patients in turn,
//     each a POST appointment/holds/ and then POST appointment/patient/ with its holdId; it counts
//     201s and 409s and fails on any 5xx. The database must then hold one appointment per booking
//     201 (plus at most one a connection still in flight when wrk stopped), and no two active
//     appointments of the doctor may overlap.
// That one free-slot lookup is one SQL statement is asserted by
// tests/modules/availability/free-slots.int.test.ts. Writes bench/results/scheduling.json.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import pg from 'pg';
import { hashPassword } from '../src/lib/password.ts';
import { redisAnswers } from '../src/lib/redis.ts';
import { bookingProblems, freeSlots, freeSlotsFrom, plusDays, RANGE_DAYS, runBookings, seedPeople, SLOT_MINUTES, WINDOWS, ZONE, type Slot } from './booking.ts';
import {
  benchDir,
  createBenchDatabase,
  createUser,
  detectRunner,
  freePort,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  runLoad,
  spawnServer,
  runMain,
  benchRedisUrl,
  stopChild,
  waitForStatus,
  type BenchDatabase,
  type LoadResult,
} from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'booking-duration': { type: 'string' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'scheduling.json') },
  },
});

const quick = flags.quick;
const durationSeconds = flags.duration ? Number(flags.duration) : quick ? 2 : 8;
const warmupSeconds = quick ? 1 : 2;
/**
 * The hold+book run is longer: one doctor's holds and bookings queue on its calendar lock, so at
 * 50 connections a connection's hold-then-book takes ~100 lock turns, seconds on a loaded machine.
 */
const bookingSeconds = flags['booking-duration'] ? Number(flags['booking-duration']) : quick ? 3 : 20;
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const BOOKED = 500;
/** 300 ran out at ~44 bookings/s (20 s of booking met the patients' caps: 422s). */
const PATIENTS = 500;
/** Logins at once while the patients get their tokens (the server hashes two at a time). */
const LOGINS_AT_ONCE = 8;
/** 31-day ranges of free slots listed for the booking run (30 slots a day: ~9,000 slots). */
const BOOKING_RANGES = 10;
const FREE_SLOTS_CONNECTIONS = 10;
const BOOKING_CONNECTIONS = 50;
const TARGET_P99_MS = 50;

let database: BenchDatabase | undefined;
let scratch: string | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Books `slots` by SQL (confirmed and pending in turn, patients in turn), each with its first status row. */
async function seedAppointments(client: pg.Client, doctorId: string, slots: Slot[]): Promise<void> {
  await client.query(
    `WITH p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM patients),
          s AS (SELECT starts_at, ends_at, n - 1 AS n FROM unnest($2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS s(starts_at, ends_at, n)),
          a AS (
            INSERT INTO appointments (id, patient_id, doctor_id, starts_at, ends_at, status, reason, created_at, updated_at)
              SELECT gen_random_uuid(), p.id, $1::uuid, s.starts_at, s.ends_at,
                     (CASE WHEN s.n % 2 = 0 THEN 'confirmed' ELSE 'pending' END)::appointment_status, 'Seeded', now(), now()
                FROM s JOIN p ON p.n = s.n % $4::int
              RETURNING id, status)
     INSERT INTO appointment_status_history (id, appointment_id, status, at) SELECT gen_random_uuid(), id, status, now() FROM a`,
    [doctorId, slots.map((s) => s.startsAt), slots.map((s) => s.endsAt), PATIENTS],
  );
  await client.query('ANALYZE');
}

/** `count` of `items` spread evenly. */
function spread<T>(items: T[], count: number): T[] {
  if (items.length < count) throw new Error(`only ${items.length} free slots to book ${count} from`);
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

async function main(): Promise<void> {
  const started = performance.now();
  // The load average goes with every line: on a shared machine it says how far the figures stand for this code.
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message} (load average ${loadavg()[0]!.toFixed(1)})`);
  const { runner } = detectRunner();
  database = await createBenchDatabase(adminUrl);
  await migrate(runner, database.url);
  const adminEmail = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(12).toString('base64url')}-7q!`;
  await createUser(runner, database.url, adminEmail, password);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  let doctorId: string;
  let patientEmails: string[];
  try {
    ({ doctorId, patientEmails } = await seedPeople(client, await hashPassword(password), PATIENTS));
  } finally {
    await client.end();
  }

  const settings = { runner, databaseUrl: database.url, secretKey: newSecretKey(), emailPort: await freePort() };
  const api = await spawnServer(settings);
  await waitForStatus(`${api.base}/health/ready`, { child: api.child, since: api.spawnedAt, timeoutMs: 120_000 });
  const tokens: string[] = [];
  for (let i = 0; i < patientEmails.length; i += LOGINS_AT_ONCE) {
    tokens.push(...(await Promise.all(patientEmails.slice(i, i + LOGINS_AT_ONCE).map((email) => login(api.base, email, password)))));
  }
  log(`${tokens.length} patients logged in`);

  // 500 of the next 31 days' free slots, as the API offers them, booked by SQL.
  const from = DateTime.now().setZone(ZONE).plus({ days: 1 }).toISODate()!;
  const to = plusDays(from, RANGE_DAYS - 1);
  const offered = await freeSlots(api.base, tokens[0]!, doctorId, from, to);
  const seedClient = new pg.Client({ connectionString: database.url });
  await seedClient.connect();
  try {
    await seedAppointments(seedClient, doctorId, spread(offered, BOOKED));
  } finally {
    await seedClient.end();
  }
  const left = await freeSlots(api.base, tokens[0]!, doctorId, from, to);
  if (left.length !== offered.length - BOOKED) throw new Error(`expected ${offered.length - BOOKED} free slots after seeding, got ${left.length}`);
  log(`database ${database.name}: doctor with ${WINDOWS.length} windows a day × 7 days (${SLOT_MINUTES}-minute slots), ${BOOKED} appointments booked over ${from}..${to} (${left.length} of ${offered.length} slots left), ${PATIENTS} patients`);

  // Free slots, 31 days, 10 connections.
  const freeSpec = {
    url: `${api.base}/v1/api/doctor/available-times-patient/?doctorId=${doctorId}&from=${from}&to=${to}`,
    connections: FREE_SLOTS_CONNECTIONS,
    threads: 1,
    token: tokens[0]!,
  };
  await runLoad('wrk', { ...freeSpec, durationSeconds: warmupSeconds });
  const free: LoadResult = await runLoad('wrk', { ...freeSpec, durationSeconds });
  if (free.non2xx > 0 || free.socketErrors > 0) throw new Error(`free slots: ${free.non2xx} non-2xx, ${free.socketErrors} socket errors`);
  log(`free slots (31 days) c=${FREE_SLOTS_CONNECTIONS}: p50 ${free.p50Ms} ms, p99 ${free.p99Ms} ms (target ≤ ${TARGET_P99_MS} ms), ${free.rps} req/s`);
  // One connection: the latency of one lookup, without queueing (context when the target is missed on a busy machine).
  const single: LoadResult = await runLoad('wrk', { ...freeSpec, connections: 1, durationSeconds });
  log(`free slots (31 days) c=1: p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ${single.rps} req/s`);
  // The same through a second instance with the read cache in Redis (issue 19): warm, every read a hit.
  let cachedFree: LoadResult | null = null;
  if (await redisAnswers(benchRedisUrl)) {
    const cachedApi = await spawnServer({ ...settings, env: { REDIS_URL: benchRedisUrl } }, [], 'api-cached');
    try {
      await waitForStatus(`${cachedApi.base}/health/ready`, { child: cachedApi.child, since: cachedApi.spawnedAt, timeoutMs: 120_000 });
      const cachedSpec = { ...freeSpec, url: freeSpec.url.replace(api.base, cachedApi.base) };
      await runLoad('wrk', { ...cachedSpec, durationSeconds: warmupSeconds });
      cachedFree = await runLoad('wrk', { ...cachedSpec, durationSeconds });
      if (cachedFree.non2xx > 0 || cachedFree.socketErrors > 0) throw new Error(`cached free slots: ${cachedFree.non2xx} non-2xx, ${cachedFree.socketErrors} socket errors`);
      log(`free slots (31 days), read cache in Redis, c=${FREE_SLOTS_CONNECTIONS}: p50 ${cachedFree.p50Ms} ms, p99 ${cachedFree.p99Ms} ms, ${cachedFree.rps} req/s`);
    } finally {
      await stopChild(cachedApi.child);
    }
  } else {
    log(`free slots with the read cache skipped: no Redis at ${benchRedisUrl} (set BENCH_REDIS_URL)`);
  }

  // Hold+book: the free slots after the seeded range, listed first; a different slot per hold.
  const bookable = await freeSlotsFrom(api.base, tokens[0]!, doctorId, plusDays(to, 1), BOOKING_RANGES);
  scratch = await mkdtemp(path.join(tmpdir(), 'bench-scheduling-'));
  const booking = await runBookings({ base: api.base, doctorId, tokens, slots: bookable, connections: BOOKING_CONNECTIONS, durationSeconds: bookingSeconds, scratch, hold: true });
  log(
    `hold+book distinct slots c=${BOOKING_CONNECTIONS}: ${booking.bookedPerSecond} bookings/s (${booking.holds201} holds and ${booking.status201} bookings × 201, ` +
      `${booking.status409} × 409, ${booking.status5xx} × 5xx, ${booking.statusOther} other) of ${booking.slotsListed} slots listed, p50 ${booking.p50Ms} ms, p99 ${booking.p99Ms} ms`,
  );
  await stopChild(api.child);

  const check = new pg.Client({ connectionString: database.url });
  await check.connect();
  let created: number;
  let overlapping: number;
  try {
    const { rows } = await check.query<{ n: number }>(`SELECT count(*)::int AS n FROM appointments WHERE reason = 'Bench'`);
    created = rows[0]!.n;
    // Double bookings: two active appointments of one doctor whose times overlap (buffers are 0 here).
    const overlaps = await check.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM appointments a JOIN appointments b
          ON b.doctor_id = a.doctor_id AND b.id > a.id AND tstzrange(b.starts_at, b.ends_at) && tstzrange(a.starts_at, a.ends_at)
       WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')`,
    );
    overlapping = overlaps.rows[0]!.n;
  } finally {
    await check.end();
  }
  const problems = [
    ...bookingProblems(booking),
    // wrk stops with up to one request a connection in flight: those may have booked unanswered.
    ...(created < booking.status201 || created > booking.status201 + BOOKING_CONNECTIONS
      ? [`${booking.status201} answers were 201 but the database holds ${created} new appointments`]
      : []),
    ...(overlapping > 0 ? [`${overlapping} pairs of overlapping active appointments (double bookings)`] : []),
  ];

  console.log('');
  console.log(`GET doctor/available-times-patient/ (31 days, ${BOOKED} booked) c=${FREE_SLOTS_CONNECTIONS}: p50 ${free.p50Ms} ms, p99 ${free.p99Ms} ms, ${free.rps} req/s${free.p99Ms > TARGET_P99_MS ? ` — above the ${TARGET_P99_MS} ms target` : ''}`);
  console.log(`GET doctor/available-times-patient/ (31 days, ${BOOKED} booked) c=1: p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ${single.rps} req/s`);
  if (cachedFree) console.log(`the same with the read cache in Redis, c=${FREE_SLOTS_CONNECTIONS}: p50 ${cachedFree.p50Ms} ms, p99 ${cachedFree.p99Ms} ms, ${cachedFree.rps} req/s`);
  console.log(
    `hold + book (distinct slots) c=${BOOKING_CONNECTIONS}: ${booking.bookedPerSecond} bookings/s, ${booking.status201} bookings, ${booking.status409} × 409, ${booking.status5xx} × 5xx, ` +
      `${created} in the database, ${overlapping} double bookings`,
  );
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(
    flags.out,
    `${JSON.stringify({ date: new Date().toISOString(), quick, durationSeconds, bookingSeconds, loadAverage: loadavg(), runner, seed: { zone: ZONE, windowsPerDay: WINDOWS.length, slotMinutes: SLOT_MINUTES, booked: BOOKED, patients: PATIENTS, from, to }, freeSlots: { connections: FREE_SLOTS_CONNECTIONS, targetP99Ms: TARGET_P99_MS, ...free }, freeSlotsOneConnection: single, freeSlotsCached: cachedFree, holdAndBook: { connections: BOOKING_CONNECTIONS, appointmentsCreated: created, doubleBookings: overlapping, ...booking } }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  if (problems.length) throw new Error(`booking: ${problems.join('; ')}`);
}

await runMain(main, () => database);
if (scratch) await rm(scratch, { recursive: true, force: true });
