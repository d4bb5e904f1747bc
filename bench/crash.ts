// `npm run bench:crash` (`node bench/crash.ts`): the crash test's storm (issue 22), loopback only and
// bounded in time. Two API instances (`WORKER_ENABLED=false`, production mode) and a stand-alone
// worker on one PostgreSQL and one Redis, the worker's mail going to bench/smtp-sink.ts:
//   1. bookings: N patients book slots of a few doctors (many want the same slots) with an
//      Idempotency-Key on every request, on either instance, and retry with the same key and body
//      after a dropped connection or a 409 "still being processed", while API instance A is
//      SIGKILLed twice (restarted on its port) and the worker once;
//   2. registrations on both instances with the worker SIGKILLed: before the first half, and
//      again while it works through the second.
// Checks: 0 overlapping active appointments; 0 appointments without their key's stored answer and
// 0 keys answered with two appointments; every 201 a row; 0 × 5xx; every key answered; every
// registration's activation mail delivered (within --mail-wait-seconds). Prints the figures,
// writes bench/results/crash.json and exits 1 when a check fails.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDb } from '../src/lib/db.ts';
import { hashPassword } from '../src/lib/password.ts';
import {
  assertLoopback,
  benchAdminUrl,
  benchDir,
  createBenchDatabase,
  detectRunner,
  freePort,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  round1,
  sleep,
  spawnServer,
  startSmtpSink,
  startWorker,
  runMain,
  stopChild,
  waitForStatus,
  type BenchDatabase,
  type Child,
  type Runner,
  type ServerSettings,
  type SmtpSink,
} from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    patients: { type: 'string', default: '40' },
    doctors: { type: 'string', default: '4' },
    'storm-seconds': { type: 'string', default: '45' },
    registrations: { type: 'string', default: '100' },
    'mail-wait-seconds': { type: 'string', default: '480' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'crash.json') },
  },
});
const PATIENTS = Number(flags.patients);
const DOCTORS = Number(flags.doctors);
const STORM_MS = Number(flags['storm-seconds']) * 1000;
const REGISTRATIONS = Number(flags.registrations);
const MAIL_WAIT_MS = Number(flags['mail-wait-seconds']) * 1000;
/** Every request of a key, retries included, ends by then; a key still unanswered counts as a failure. */
const KEY_DEADLINE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = `Crash-${randomBytes(9).toString('base64url')}`;

let database: BenchDatabase | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
});

const started = performance.now();
const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

// ── The processes ───────────────────────────────────────────────────────────────────────────

/** An API instance that can be SIGKILLed and comes back on the same port. */
class ApiInstance {
  readonly name: string;
  private readonly settings: ServerSettings & { port: number };
  private server!: Awaited<ReturnType<typeof spawnServer>>;
  constructor(name: string, settings: ServerSettings & { port: number }) {
    this.name = name;
    this.settings = settings;
  }
  get base(): string {
    return `http://127.0.0.1:${this.settings.port}`;
  }
  async start(): Promise<void> {
    this.server = await spawnServer(this.settings, [], this.name);
    await waitForStatus(`${this.base}/health/ready`, { child: this.server.child, timeoutMs: 60_000, intervalMs: 50 });
  }
  async crashAndRestart(): Promise<void> {
    this.server.child.proc.kill('SIGKILL');
    await this.server.child.exited;
    log(`${this.name} SIGKILLed; restarting`);
    await this.start();
    log(`${this.name} ready again`);
  }
}

/** The stand-alone worker, SIGKILLed and started again at will. */
class WorkerProcess {
  private readonly runner: Runner;
  private readonly env: NodeJS.ProcessEnv;
  private readonly sink: SmtpSink;
  private child: Child | undefined;
  constructor(runner: Runner, env: NodeJS.ProcessEnv, sink: SmtpSink) {
    this.runner = runner;
    this.env = env;
    this.sink = sink;
  }
  async start(): Promise<void> {
    this.child = await startWorker('worker', this.runner, this.env, this.sink);
  }
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.proc.kill('SIGKILL');
    await this.child.exited;
    this.child = undefined;
    log('worker SIGKILLed');
  }
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
  }
}

// ── Phase 1: bookings ───────────────────────────────────────────────────────────────────────

interface Patient {
  email: string;
  token: string;
}

interface KeyOutcome {
  key: string;
  /** The final status, or 'unanswered' when every try failed until the key's deadline. */
  status: number | 'unanswered';
  /** The appointment ids of every 201 this key got (one, however many replays). */
  ids: Set<string>;
  tries: number;
}

const tally = { requests: 0, dropped: 0, stillProcessing: 0, serverErrors: 0, statuses: new Map<string, number>() };

function count(status: string): void {
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
}

/** The fields of an answer the storm looks at; {} for a body that is not JSON. */
function answerOf(text: string): { code?: string; id?: string } {
  try {
    return JSON.parse(text) as { code?: string; id?: string };
  } catch {
    return {};
  }
}

/** One booking with its key: retried with the same key and body after a dropped connection or a 409 "still being processed". */
async function book(instances: readonly ApiInstance[], patient: Patient, slot: { doctorId: string; startsAt: string }, key: string): Promise<KeyOutcome> {
  const outcome: KeyOutcome = { key, status: 'unanswered', ids: new Set(), tries: 0 };
  const body = JSON.stringify({ ...slot, type: 'in_person' });
  const deadline = performance.now() + KEY_DEADLINE_MS;
  while (performance.now() < deadline) {
    const instance = instances[Math.floor(Math.random() * instances.length)]!;
    outcome.tries += 1;
    tally.requests += 1;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${instance.base}/v1/api/appointment/patient/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${patient.token}`, 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      // Refused, reset or cut mid-answer: the client cannot know whether it booked; same key again.
      tally.dropped += 1;
      count('dropped');
      await sleep(100 + Math.random() * 200);
      continue;
    }
    const answer = answerOf(text);
    const code = answer.code;
    count(code ? `${response.status} ${code}` : String(response.status));
    if (response.status >= 500) tally.serverErrors += 1;
    if (response.status === 201 && answer.id) outcome.ids.add(answer.id);
    if (response.status === 409 && code === 'conflict') {
      tally.stillProcessing += 1;
      await sleep(200);
      continue;
    }
    if (response.status >= 500) {
      await sleep(200);
      continue;
    }
    outcome.status = response.status;
    return outcome;
  }
  return outcome;
}

// ── Set-up ──────────────────────────────────────────────────────────────────────────────────

const SLOT_DAYS = 14;
const DAY_START_HOUR = 8;
const SLOTS_PER_DAY = 8; // 30-minute slots from 08:00 to 12:00 UTC

/** Doctors with daily windows and patients, straight in the database; returns the slots offered. */
async function seed(databaseUrl: string): Promise<{ slots: { doctorId: string; startsAt: string }[]; patientEmails: string[] }> {
  const db = createDb({ url: databaseUrl, poolSize: 2 });
  try {
    const passwordHash = await hashPassword(PASSWORD);
    const person = (email: string, role: 'patient' | 'doctor') => ({ email, passwordHash, role, isActive: true, firstName: 'Crash', lastName: 'Bench' });
    const slots: { doctorId: string; startsAt: string }[] = [];
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    for (let d = 0; d < DOCTORS; d += 1) {
      const user = await db.user.create({ data: person(`crash-doctor-${d}@bench.test`, 'doctor'), select: { id: true } });
      const doctor = await db.doctor.create({ data: { userId: user.id, timezone: 'UTC' }, select: { id: true } });
      await db.availableTime.createMany({
        data: Array.from({ length: 7 }, (_, weekday) => ({
          doctorId: doctor.id,
          weekday,
          startTime: new Date(Date.UTC(1970, 0, 1, DAY_START_HOUR)),
          endTime: new Date(Date.UTC(1970, 0, 1, DAY_START_HOUR + SLOTS_PER_DAY / 2)),
          slotMinutes: 30,
        })),
      });
      // From the day after tomorrow: clear of any minimum notice.
      for (let day = 2; day < 2 + SLOT_DAYS; day += 1) {
        for (let slot = 0; slot < SLOTS_PER_DAY; slot += 1) {
          const startsAt = new Date(today.getTime() + day * 86_400_000 + DAY_START_HOUR * 3_600_000 + slot * 1_800_000);
          slots.push({ doctorId: doctor.id, startsAt: startsAt.toISOString() });
        }
      }
    }
    const patientEmails = Array.from({ length: PATIENTS }, (_, i) => `crash-patient-${i}@bench.test`);
    for (const email of patientEmails) await db.user.create({ data: { ...person(email, 'patient'), patient: { create: {} } } });
    return { slots, patientEmails };
  } finally {
    await db.$disconnect();
  }
}

// ── Checks in the database ──────────────────────────────────────────────────────────────────

interface DatabaseFacts {
  overlapping: number;
  appointmentIds: Set<string>;
  /** Booking keys with their stored answer (status, and the appointment id of a 201). */
  stored: Map<string, { status: number | null; id: string | null }>;
}

async function databaseFacts(databaseUrl: string): Promise<DatabaseFacts> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const overlaps = await client.query<{ n: number }>(`
      SELECT count(*)::int AS n FROM appointments a JOIN appointments b ON a.doctor_id = b.doctor_id AND a.id < b.id
       WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
         AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`);
    const appointments = await client.query<{ id: string }>('SELECT id FROM appointments');
    const keys = await client.query<{ key: string; status: number | null; id: string | null }>(
      `SELECT key, response_status AS status, response_body->>'id' AS id FROM idempotency_keys WHERE key LIKE 'crash-%'`,
    );
    return {
      overlapping: overlaps.rows[0]!.n,
      appointmentIds: new Set(appointments.rows.map((row) => row.id)),
      stored: new Map(keys.rows.map((row) => [row.key, { status: row.status, id: row.status === 201 ? row.id : null }])),
    };
  } finally {
    await client.end();
  }
}

// ── Phase 2: registrations ──────────────────────────────────────────────────────────────────

/** Registers `emails` on the instances in turn, 8 at a time; the epoch ms of each 201. */
async function register(instances: readonly ApiInstance[], emails: readonly string[], registeredAt: Map<string, number>): Promise<void> {
  const queue = [...emails];
  const next = async (lane: number): Promise<void> => {
    for (let email = queue.shift(); email; email = queue.shift()) {
      const instance = instances[(lane + registeredAt.size) % instances.length]!;
      const response = await fetch(`${instance.base}/v1/api/user/register/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      count(`register ${response.status}`);
      if (response.status >= 500) tally.serverErrors += 1;
      if (response.status === 201) registeredAt.set(email, Date.now());
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, lane) => next(lane)));
}

/** Waits until every registered address has a mail in the sink, or MAIL_WAIT_MS; the delays from the 201, in seconds. */
async function registrationMails(sink: SmtpSink, registeredAt: Map<string, number>): Promise<{ delays: number[]; duplicates: number }> {
  const deadline = Date.now() + MAIL_WAIT_MS;
  for (;;) {
    const stats = await sink.stats();
    const firstArrival = new Map<string, number>();
    let duplicates = 0;
    stats.recipients.forEach((to, i) => {
      if (!registeredAt.has(to)) return;
      if (firstArrival.has(to)) duplicates += 1;
      else firstArrival.set(to, stats.arrivals[i]!);
    });
    if (firstArrival.size === registeredAt.size || Date.now() > deadline) {
      const delays = [...firstArrival].map(([to, at]) => (at - registeredAt.get(to)!) / 1000);
      return { delays, duplicates };
    }
    await sleep(500);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// ── The run ─────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  assertLoopback(redisUrl);
  const { runner, reason } = detectRunner();
  log(`runner ${runner} (${reason}); ${PATIENTS} patients, ${DOCTORS} doctors, ${STORM_MS / 1000} s storm, ${REGISTRATIONS} registrations`);
  database = await createBenchDatabase(benchAdminUrl);
  await migrate(runner, database.url);
  const { slots, patientEmails } = await seed(database.url);

  const secretKey = newSecretKey();
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, SECRET_KEY: secretKey };
  const sink = await startSmtpSink(runner, baseEnv);
  const worker = new WorkerProcess(runner, { ...baseEnv, DATABASE_POOL_SIZE: '4' }, sink);
  const apiSettings = async (): Promise<ServerSettings & { port: number }> => ({
    runner,
    databaseUrl: database!.url,
    secretKey,
    emailPort: sink.smtpPort,
    port: await freePort(),
    env: { REDIS_URL: redisUrl, DATABASE_POOL_SIZE: '5' },
  });
  const a = new ApiInstance('api-a', await apiSettings());
  const b = new ApiInstance('api-b', await apiSettings());
  await Promise.all([a.start(), b.start(), worker.start()]);
  const instances = [a, b];
  const patients: Patient[] = [];
  for (const email of patientEmails) patients.push({ email, token: await login(b.base, email, PASSWORD) });
  log(`A :${new URL(a.base).port}, B :${new URL(b.base).port}, worker and sink up; ${patients.length} patients logged in; ${slots.length} slots`);

  // Phase 1: the booking storm, with the kills on a timeline.
  const stormStart = performance.now();
  const stormEnd = stormStart + STORM_MS;
  const outcomes: KeyOutcome[] = [];
  const clients = patients.map(async (patient, p) => {
    for (let n = 0; performance.now() < stormEnd; n += 1) {
      const slot = slots[Math.floor(Math.random() * slots.length)]!;
      outcomes.push(await book(instances, patient, slot, `crash-p${p}-${n}-${randomBytes(4).toString('hex')}`));
    }
  });
  const chaos = (async () => {
    await sleep(STORM_MS * 0.2);
    await a.crashAndRestart();
    await sleep(STORM_MS * 0.2);
    await worker.kill();
    await sleep(2_000);
    await worker.start();
    await sleep(STORM_MS * 0.15);
    await a.crashAndRestart();
  })();
  await Promise.all([...clients, chaos]);
  const stormSeconds = (performance.now() - stormStart) / 1000;
  log(`storm over: ${outcomes.length} keys, ${tally.requests} requests in ${round1(stormSeconds)} s`);

  const facts = await databaseFacts(database.url);
  const answeredIds = new Set(outcomes.flatMap((outcome) => [...outcome.ids]));
  const storedIds = new Set([...facts.stored.values()].flatMap((answer) => (answer.id ? [answer.id] : [])));
  const bookings = {
    keys: outcomes.length,
    requests: tally.requests,
    droppedConnections: tally.dropped,
    stillProcessingAnswers: tally.stillProcessing,
    created: outcomes.filter((outcome) => outcome.status === 201).length,
    appointmentRows: facts.appointmentIds.size,
    overlapping: facts.overlapping,
    keysWithTwoAppointments: outcomes.filter((outcome) => outcome.ids.size > 1).length,
    appointmentsWithoutStoredAnswer: [...facts.appointmentIds].filter((id) => !storedIds.has(id)).length,
    answered201WithoutRow: [...answeredIds].filter((id) => !facts.appointmentIds.has(id)).length,
    rowsWithout201: [...facts.appointmentIds].filter((id) => !answeredIds.has(id)).length,
    unansweredKeys: outcomes.filter((outcome) => outcome.status === 'unanswered').length,
    maxTriesOfAKey: Math.max(0, ...outcomes.map((outcome) => outcome.tries)),
  };

  // Phase 2: registrations with the worker killed before, and again while it drains.
  const registeredAt = new Map<string, number>();
  const emails = Array.from({ length: REGISTRATIONS }, (_, i) => `crash-reg-${i}-${randomBytes(3).toString('hex')}@bench.test`);
  await worker.kill();
  await register(instances, emails.slice(0, REGISTRATIONS / 2), registeredAt);
  await worker.start();
  log('worker started again');
  await register(instances, emails.slice(REGISTRATIONS / 2), registeredAt);
  await sleep(1_000);
  await worker.kill();
  await sleep(2_000);
  await worker.start();
  log(`${registeredAt.size} registrations answered 201; waiting for their mails (at most ${MAIL_WAIT_MS / 1000} s)`);
  const mails = await registrationMails(sink, registeredAt);
  const registrations = {
    registered: registeredAt.size,
    mailsDelivered: mails.delays.length,
    duplicateMails: mails.duplicates,
    medianDelaySeconds: round1(median(mails.delays)),
    maxDelaySeconds: round1(Math.max(0, ...mails.delays)),
  };
  await worker.stop();

  const statuses = Object.fromEntries([...tally.statuses].sort());
  const checks = {
    '0 overlapping appointments': bookings.overlapping === 0,
    '0 keys with two appointments': bookings.keysWithTwoAppointments === 0 && bookings.appointmentsWithoutStoredAnswer === 0,
    'every 201 a row, every row a 201': bookings.answered201WithoutRow === 0 && bookings.rowsWithout201 === 0,
    '0 × 5xx': tally.serverErrors === 0,
    'every key answered': bookings.unansweredKeys === 0,
    'every registration answered 201': registrations.registered === REGISTRATIONS,
    'every registration mail delivered': registrations.mailsDelivered === registrations.registered,
  };
  console.log(JSON.stringify({ bookings, registrations, statuses }, null, 2));
  for (const [check, passed] of Object.entries(checks)) console.log(`${passed ? 'ok  ' : 'FAIL'} ${check}`);
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify({ date: new Date().toISOString(), runner, bookings, registrations, statuses, checks }, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  if (Object.values(checks).includes(false)) process.exitCode = 1;
}

await runMain(main, () => database);
