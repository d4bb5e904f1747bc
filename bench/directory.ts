// `node bench/directory.ts [--quick]` (or `npx tsx bench/directory.ts`): the directory's hot reads
// under load, in production mode, on 1,000 doctors and 100,000 patients. The doctor list page of
// 50 is measured at 10 and 50 connections next to the same SQL served by plain `pg`
// (bench/ref-pg-directory.ts); the admin patient search reports its p50 on one connection, for a
// selective term (11 matches) and a broad one (10,000 matches). Figures drift with the machine's load. The API, the reference
// and the load generator each run in their own process. Writes bench/results/directory.json.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  benchDir,
  createBenchDatabase,
  createUser,
  detectLoadGenerator,
  detectRunner,
  freePort,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  rssMb,
  runLoad,
  runnerArgs,
  spawnChild,
  spawnServer,
  runMain,
  stopChild,
  waitForStatus,
  type BenchDatabase,
  type LoadGenerator,
  type LoadResult,
  type LoadSpec,
  type Server,
} from './lib.ts';
import { DIRECTORY, seedDirectory } from './seed.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'load-generator': { type: 'string' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'directory.json') },
  },
});

const quick = flags.quick;
const durationSeconds = flags.duration ? Number(flags.duration) : quick ? 2 : 8;
const warmupSeconds = quick ? 1 : 2;
const DOCTORS = DIRECTORY.doctors;
const PATIENTS = DIRECTORY.patients;
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Measured extends LoadResult {
  rssMb: number | null;
}

async function measure(generator: LoadGenerator, pid: number, spec: Omit<LoadSpec, 'durationSeconds' | 'threads'>): Promise<Measured> {
  await runLoad(generator, { ...spec, threads: 1, durationSeconds: warmupSeconds });
  const result = await runLoad(generator, { ...spec, threads: 1, durationSeconds });
  return { ...result, rssMb: rssMb(pid) };
}

let database: BenchDatabase | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
});

async function main(): Promise<void> {
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  const generator = detectLoadGenerator(flags['load-generator']);
  const { runner } = detectRunner();
  database = await createBenchDatabase(adminUrl);
  await migrate(runner, database.url);
  await seedDirectory(database.url);
  log(`database ${database.name}: migrated, ${DOCTORS} doctors and ${PATIENTS} patients`);
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(12).toString('base64url')}-7q!`;
  await createUser(runner, database.url, email, password);

  const settings = { runner, databaseUrl: database.url, secretKey: newSecretKey(), emailPort: await freePort() };
  const api = await spawnServer(settings);
  await waitForStatus(`${api.base}/health/ready`, { child: api.child, since: api.spawnedAt, timeoutMs: 120_000 });
  const refPort = await freePort();
  const refChild = spawnChild('ref-pg-directory', process.execPath, [...runnerArgs(runner), path.join(benchDir, 'ref-pg-directory.ts')], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(refPort), DATABASE_URL: database.url, PUBLIC_URL: api.base },
  });
  const ref: Server = { child: refChild, base: `http://127.0.0.1:${refPort}`, port: refPort, spawnedAt: performance.now() };
  await waitForStatus(`${ref.base}/v1/api/doctor/list/`, { child: refChild, timeoutMs: 60_000 });
  log(`api pid ${api.child.pid}, plain pg reference pid ${refChild.pid}, load generator ${generator}`);

  // The reference must answer what the API answers (links aside: they name each server's query).
  const listPath = '/v1/api/doctor/list/?ordering=-rating&pageSize=50';
  const [apiBody, refBody] = await Promise.all(
    [api.base, ref.base].map(async (base) => (await (await fetch(`${base}${listPath}`)).json()) as { count: number; results: unknown[] }),
  );
  if (apiBody!.count !== DOCTORS || JSON.stringify(apiBody!.results) !== JSON.stringify(refBody!.results)) {
    throw new Error('the doctor list differs between the API and the plain pg reference');
  }

  const rows: { scenario: string; connections: number; api: Measured; reference: Measured | null }[] = [];
  for (const connections of [10, 50]) {
    const reference = await measure(generator, refChild.pid, { url: `${ref.base}${listPath}`, connections });
    const result = await measure(generator, api.child.pid, { url: `${api.base}${listPath}`, connections });
    rows.push({ scenario: 'GET doctor/list/ (page of 50, -rating)', connections, api: result, reference });
    log(`doctor list c=${connections}: ${result.rps} req/s (${(result.rps / reference.rps).toFixed(2)}× plain pg ${reference.rps}), p99 ${result.p99Ms} ms (pg ${reference.p99Ms} ms)`);
  }

  const token = await login(api.base, email, password);
  for (const search of ['patient4242', 'Novak']) {
    // One connection: p50 is the latency of one search, not time spent queueing behind others.
    const result = await measure(generator, api.child.pid, { url: `${api.base}/v1/api/patient/patients/?search=${search}`, connections: 1, token });
    rows.push({ scenario: `GET patient/patients/?search=${search} (admin)`, connections: 1, api: result, reference: null });
    log(`admin patient search "${search}" c=1: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.rps} req/s, non-2xx ${result.non2xx}`);
  }
  await Promise.all([stopChild(api.child), stopChild(refChild)]);

  console.log('');
  for (const row of rows) {
    const ratio = row.reference ? ` | ${(row.api.rps / row.reference.rps).toFixed(2)}× req/s of plain pg (${row.reference.rps} req/s, p99 ${row.reference.p99Ms} ms)` : '';
    console.log(`${row.scenario} c=${row.connections}: ${row.api.rps} req/s, p50 ${row.api.p50Ms} ms, p99 ${row.api.p99Ms} ms, non-2xx ${row.api.non2xx}${ratio}`);
  }
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify({ date: new Date().toISOString(), quick, durationSeconds, generator, runner, rows }, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
}

await runMain(main, () => database);
