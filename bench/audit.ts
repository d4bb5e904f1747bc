// `node bench/audit.ts [--quick] [--rounds N] [--duration S]` (`npm run bench:audit`): what the
// audit chain costs a booking (issue 18, item 1). Two API servers in production mode, each its own
// process on its own database with the same seed (bench/booking.ts: one doctor, 50 patients), and
// wrk as a third process: "chain" is the schema as migrated, where each booking's audit event takes
// the chain's head row until its transaction commits; "no chain" is the same database with the
// chain trigger dropped (the event is still written, unlinked). After a warm-up, rounds alternate between them so a
// change in the machine's load hits both; each round books distinct free slots at 50 connections.
// Reports bookings/s per target and the ratio, and checks that the chained database verifies.
// Writes bench/results/audit.json.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import pg from 'pg';
import { hashPassword } from '../src/lib/password.ts';
import { bookingProblems, freeSlotsFrom, plusDays, RANGE_DAYS, runBookings, seedPeople, ZONE, type BookingResult } from './booking.ts';
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
  round2,
  spawnServer,
  stopAll,
  waitForStatus,
  type BenchDatabase,
  type Runner,
} from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string', default: '' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'audit.json') },
  },
});

const quick = flags.quick;
const rounds = Number(flags.rounds ?? (quick ? 1 : 3));
const durationSeconds = flags.duration ? Number(flags.duration) : quick ? 2 : 5;
const warmupSeconds = quick ? 1 : 3;
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CONNECTIONS = 50;
/** Each round books from its own two months of free slots (30 a day: ~1,800 slots). */
const RANGES_PER_ROUND = 2;

const databases: BenchDatabase[] = [];
let scratch: string | undefined;
installCleanup(async () => {
  for (const database of databases) await database.drop().catch(() => undefined);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The audit trail without its chain: the insert trigger dropped, so events are written unlinked. */
const UNCHAIN = `
  DROP TRIGGER audit_events_chain ON audit_events;
  ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`;

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

interface Target {
  name: 'chain' | 'no chain';
  database: BenchDatabase;
  base: string;
  doctorId: string;
  tokens: string[];
  results: BookingResult[];
}

async function startTarget(name: Target['name'], runner: Runner, passwordHash: string, password: string): Promise<Target> {
  const database = await createBenchDatabase(adminUrl);
  databases.push(database);
  await migrate(runner, database.url);
  if (name === 'no chain') await sql(database.url, UNCHAIN);
  await createUser(runner, database.url, `bench-${randomBytes(4).toString('hex')}@example.com`, password);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  let seeded: { doctorId: string; patientEmails: string[] };
  try {
    seeded = await seedPeople(client, passwordHash);
  } finally {
    await client.end();
  }
  const api = await spawnServer({ runner, databaseUrl: database.url, secretKey: newSecretKey(), emailPort: await freePort() }, [], name.replace(' ', '-'));
  await waitForStatus(`${api.base}/health/ready`, { child: api.child, since: api.spawnedAt, timeoutMs: 120_000 });
  const tokens: string[] = [];
  for (const email of seeded.patientEmails) tokens.push(await login(api.base, email, password));
  return { name, database, base: api.base, doctorId: seeded.doctorId, tokens, results: [] };
}

const total = (results: BookingResult[], key: 'status201' | 'durationSeconds') => results.reduce((sum, result) => sum + result[key], 0);
const bookingsPerSecond = (target: Target) => Math.round(total(target.results, 'status201') / total(target.results, 'durationSeconds'));

async function main(): Promise<void> {
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  const { runner } = detectRunner();
  const password = `Bench-${randomBytes(12).toString('base64url')}-7q!`;
  const passwordHash = await hashPassword(password);
  const chain = await startTarget('chain', runner, passwordHash, password);
  const plain = await startTarget('no chain', runner, passwordHash, password);
  log(`two servers up: chain on ${chain.database.name}, no chain on ${plain.database.name}`);
  scratch = await mkdtemp(path.join(tmpdir(), 'bench-audit-'));

  const firstDay = DateTime.now().setZone(ZONE).plus({ days: 1 }).toISODate()!;
  const book = async (target: Target, range: number, seconds: number) => {
    const slots = await freeSlotsFrom(target.base, target.tokens[0]!, target.doctorId, plusDays(firstDay, range * RANGES_PER_ROUND * RANGE_DAYS), RANGES_PER_ROUND);
    return runBookings({ base: target.base, doctorId: target.doctorId, tokens: target.tokens, slots, connections: CONNECTIONS, durationSeconds: seconds, scratch: scratch! });
  };
  // Warm-up on the first range (JIT, connection pools), not counted.
  for (const target of [chain, plain]) await book(target, 0, warmupSeconds);
  const problems: string[] = [];
  for (let round = 0; round < rounds; round += 1) {
    // Alternate which goes first, so neither always runs on the warmer machine.
    for (const target of round % 2 === 0 ? [chain, plain] : [plain, chain]) {
      const result = await book(target, round + 1, durationSeconds);
      target.results.push(result);
      problems.push(...bookingProblems(result).map((problem) => `${target.name}, round ${round + 1}: ${problem}`));
      log(`round ${round + 1} ${target.name}: ${result.bookedPerSecond} bookings/s (${result.status201} × 201, ${result.status409} × 409), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
    }
  }

  const [chained] = await sql<{ events: number; bookings: number }>(
    chain.database.url,
    `SELECT count(*)::int AS events, count(*) FILTER (WHERE action = 'appointment.create')::int AS bookings FROM audit_events`,
  );
  const [verification] = await sql<{ broken: number }>(
    chain.database.url,
    `SELECT count(*)::int AS broken FROM (SELECT hash, audit_event_hash(e) AS recomputed, prev_hash, lag(hash) OVER (ORDER BY seq) AS previous FROM audit_events e) l
      WHERE hash <> recomputed OR (previous IS NOT NULL AND prev_hash <> previous)`,
  );
  if (verification!.broken > 0) problems.push(`the chained trail has ${verification!.broken} broken links`);

  const chainRate = bookingsPerSecond(chain);
  const plainRate = bookingsPerSecond(plain);
  console.log('');
  console.log(`POST appointment/patient/ c=${CONNECTIONS}, ${rounds} × ${durationSeconds} s each:`);
  console.log(`  with the audit chain:    ${chainRate} bookings/s (p50 ${chain.results.map((r) => r.p50Ms).join('/')} ms)`);
  console.log(`  without the chain:       ${plainRate} bookings/s (p50 ${plain.results.map((r) => r.p50Ms).join('/')} ms)`);
  console.log(`  ratio chain / no chain:  ${round2(chainRate / plainRate)}× (${chained!.events} chained events, ${chained!.bookings} of them bookings; chain verified: ${verification!.broken === 0})`);
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(
    flags.out,
    `${JSON.stringify({ date: new Date().toISOString(), quick, rounds, durationSeconds, connections: CONNECTIONS, runner, chain: { bookingsPerSecond: chainRate, rounds: chain.results }, noChain: { bookingsPerSecond: plainRate, rounds: plain.results }, ratio: round2(chainRate / plainRate), chainedEvents: chained!.events }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  if (problems.length) throw new Error(problems.join('; '));
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await stopAll();
  for (const database of databases) await database.drop().catch((error: unknown) => console.error('could not drop a bench database:', error));
  if (scratch) await rm(scratch, { recursive: true, force: true });
}
