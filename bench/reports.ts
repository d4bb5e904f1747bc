// `node bench/reports.ts [--quick]` (`npm run bench:reports`): the appointment report and the CSV
// export at scale (issue 19 items 1 and 2). Seeds 1,000 doctors, 100,000 patients and 1,000,000
// appointments over two years (--quick: 100,000), then, against the API in production mode:
// - the report's latency per scenario (sequential requests: p50, p95, max), target p50 < 50 ms
//   for a month of every doctor;
// - one CSV export of every appointment by a stand-alone worker: time to ready, rows, file size,
//   and the worker's RSS sampled every 50 ms: its peak's growth over idle (target < 50 MB), and
//   over the worker once a small export warmed it up (what the big export alone adds).
// --s3: the worker stores the export in s3rver on loopback (as the tests do) instead of on disk.
// Writes bench/results/reports.json with the machine's load average before and after.
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { hashPassword } from '../src/lib/password.ts';
import {
  benchAdminUrl,
  benchDir,
  createBenchDatabase,
  createUser,
  detectRunner,
  freePort,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  round1,
  round2,
  rssMb,
  runMain,
  sleep,
  spawnServer,
  startSmtpSink,
  startWorker,
  waitForStatus,
  type BenchDatabase,
} from './lib.ts';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../tests/helpers/s3.ts';
import { seedDirectory } from './seed.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    s3: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(benchDir, 'results', 'reports.json') },
    /** Node flags of the export's worker, space-separated; default as `npm run worker` and the image run it. */
    'worker-node-flags': { type: 'string', default: '--max-semi-space-size=8' },
  },
});

const APPOINTMENTS_PER_DOCTOR = flags.quick ? 100 : 1_000;
const DOCTORS = 1_000;
const SPAN_DAYS = 730;
const REQUESTS = flags.quick ? 5 : 30;

let database: BenchDatabase | undefined;
let mediaRoot: string | undefined;
let s3: TestS3 | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
  await s3?.close().catch(() => undefined);
  if (mediaRoot) await rm(mediaRoot, { recursive: true, force: true });
});

const loadNow = () => loadavg().map(round2);

/**
 * Appointments in SQL: each doctor's spaced 17.5 h apart over SPAN_DAYS up to today (so active
 * ones never overlap), with patients in turn and a clinic's mix of statuses.
 */
async function seedAppointments(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const stepMinutes = Math.floor((SPAN_DAYS * 24 * 60) / APPOINTMENTS_PER_DOCTOR);
    await client.query(`
      INSERT INTO appointments (id, patient_id, doctor_id, starts_at, ends_at, status, late_cancel, reason, updated_at)
      SELECT gen_random_uuid(), p.id, d.id, s.starts_at, s.starts_at + interval '30 minutes', s.status::appointment_status,
             s.status = 'cancelled' AND s.draw < 0.03, 'Check-up ' || k, now()
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM doctors) d
       CROSS JOIN generate_series(0, ${APPOINTMENTS_PER_DOCTOR - 1}) k
        JOIN LATERAL (
          SELECT date_trunc('hour', now()) - interval '${SPAN_DAYS} days' + (k * ${stepMinutes} + d.n % 60) * interval '1 minute' AS starts_at,
                 r.draw,
                 CASE WHEN r.draw < 0.55 THEN 'completed' WHEN r.draw < 0.67 THEN 'cancelled' WHEN r.draw < 0.72 THEN 'no_show'
                      WHEN r.draw < 0.77 THEN 'rescheduled' WHEN r.draw < 0.92 THEN 'confirmed' WHEN r.draw < 0.96 THEN 'pending'
                      WHEN r.draw < 0.98 THEN 'requested' ELSE 'rejected' END AS status
            FROM (SELECT random() + 0 * k AS draw) r) s ON true
        JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM patients) p
          ON p.n = 1 + ((d.n * ${APPOINTMENTS_PER_DOCTOR} + k) % (SELECT count(*) FROM patients))`);
    // Sets the visibility map, as autovacuum would, so the report is answered from the index alone.
    await client.query('VACUUM ANALYZE appointments');
  } finally {
    await client.end();
  }
}

async function doctorLogin(url: string): Promise<{ email: string; password: string }> {
  const email = 'doctor1@example.com';
  const password = `Bench-${newSecretKey()}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('UPDATE users SET password_hash = $1 WHERE email = $2', [await hashPassword(password), email]);
  } finally {
    await client.end();
  }
  return { email, password };
}

interface Timing {
  name: string;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  total: number;
}

async function timeReport(base: string, token: string, name: string, query: string): Promise<Timing> {
  const url = `${base}/v1/api/operations/reports/appointments/?${query}`;
  const get = async () => {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { totals?: { total: number } };
    if (response.status !== 200) throw new Error(`${name}: ${response.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, total: body.totals!.total };
  };
  for (let i = 0; i < 3; i += 1) await get();
  const samples: number[] = [];
  let total = 0;
  for (let i = 0; i < REQUESTS; i += 1) {
    const result = await get();
    samples.push(result.ms);
    total = result.total;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => round1(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!);
  return { name, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: round1(samples.at(-1)!), total };
}

/** The median of 20 samples of `pid`'s RSS, 100 ms apart. */
async function medianRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    samples.push(rssMb(pid) ?? 0);
    await sleep(100);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/** Requests an export of the caller's appointments (an admin's: all of them) and waits until it is ready. */
async function exportToReady(base: string, token: string, worker: { output(): string }): Promise<{ status: string; rowCount: number | null }> {
  const started = performance.now();
  const requested = await fetch(`${base}/v1/api/operations/exports/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'appointments', format: 'csv' }),
  });
  const { id } = (await requested.json()) as { id: string };
  let view: { status: string; rowCount: number | null } = { status: 'queued', rowCount: null };
  while (view.status === 'queued') {
    await sleep(200);
    const response = await fetch(`${base}/v1/api/operations/exports/${id}/`, { headers: { authorization: `Bearer ${token}` } });
    // A busy machine may get a 503 from the API's overload guard: ask again.
    if (response.status === 200) view = (await response.json()) as typeof view;
    if (performance.now() - started > 30 * 60_000) throw new Error('the export was not ready within 30 minutes');
  }
  if (view.status !== 'ready') throw new Error(`the export ended ${view.status}:\n${worker.output()}`);
  return view;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

const EXPORT_PREFIX = 'report-export';

/** The size of the largest stored export, in bytes. */
async function largestExportBytes(): Promise<number> {
  if (!s3) {
    const files = await readdir(path.join(mediaRoot!, EXPORT_PREFIX));
    const sizes = await Promise.all(files.map(async (file) => (await stat(path.join(mediaRoot!, EXPORT_PREFIX, file))).size));
    return Math.max(...sizes);
  }
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  try {
    const listing = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${EXPORT_PREFIX}/` }));
    return Math.max(...(listing.Contents ?? []).map((object) => object.Size ?? 0));
  } finally {
    client.destroy();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  const loadBefore = loadNow();
  const { runner } = detectRunner();
  database = await createBenchDatabase(benchAdminUrl);
  await migrate(runner, database.url);
  await seedDirectory(database.url);
  log('seeded 1,000 doctors and 100,000 patients');
  await seedAppointments(database.url);
  log(`seeded ${DOCTORS * APPOINTMENTS_PER_DOCTOR} appointments`);

  mediaRoot = await mkdtemp(path.join(tmpdir(), 'clinic-bench-media-'));
  const secretKey = newSecretKey();
  const adminPassword = `Bench-${newSecretKey()}`;
  await createUser(runner, database.url, 'admin@bench.test', adminPassword);
  const doctor = await doctorLogin(database.url);
  if (flags.s3) s3 = await startS3rver('clinic-bench');
  const storageEnv = s3
    ? { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey }
    : {};
  const shared = { MEDIA_ROOT: mediaRoot, JWT_ACCESS_LIFETIME: '1h', ...storageEnv };
  const server = await spawnServer({ runner, databaseUrl: database.url, secretKey, emailPort: await freePort(), env: shared });
  await waitForStatus(`${server.base}/health/ready`, { child: server.child, status: 200, timeoutMs: 60_000 });
  const adminToken = await login(server.base, 'admin@bench.test', adminPassword);
  const doctorToken = await login(server.base, doctor.email, doctor.password);

  // ── the report ──
  const today = new Date();
  const daysAgo = (days: number) => isoDay(new Date(today.getTime() - days * 86_400_000));
  const month = `from=${daysAgo(60)}&to=${daysAgo(30)}`;
  const year = `from=${daysAgo(365)}&to=${daysAgo(0)}`;
  const reports: Timing[] = [];
  for (const groupBy of ['day', 'doctor', 'status']) reports.push(await timeReport(server.base, adminToken, `admin, every doctor, 31 days, by ${groupBy}`, `${month}&groupBy=${groupBy}`));
  reports.push(await timeReport(server.base, doctorToken, 'doctor, own, 366 days, by day', `${year}&groupBy=day`));
  reports.push(await timeReport(server.base, adminToken, 'admin, every doctor, 366 days, by status', `${year}&groupBy=status`));
  for (const timing of reports) log(`report ${timing.name}: p50 ${timing.p50Ms} ms, p95 ${timing.p95Ms} ms, max ${timing.maxMs} ms (${timing.total} appointments)`);

  // ── the export, by a stand-alone worker ──
  const sink = await startSmtpSink(runner, { PATH: process.env.PATH, HOME: process.env.HOME });
  const workerEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, SECRET_KEY: secretKey, ...shared };
  const worker = await startWorker('worker', runner, workerEnv, sink, flags['worker-node-flags'].split(' ').filter(Boolean));
  await sleep(3_000); // start-up work (queue creation, first polls) settles
  const idleRss = await medianRss(worker.pid);
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(worker.pid) ?? 0)), 50);
  // A small export first (one doctor's own appointments): the worker's first job loads what any job
  // needs (Prisma's query compiler among it), so the big export's own growth is told apart.
  const warmUp = await exportToReady(server.base, doctorToken, worker);
  const warmRss = await medianRss(worker.pid);
  const warmUpPeakRss = peakRss;
  peakRss = warmRss;
  const exportStarted = performance.now();
  const view = await exportToReady(server.base, adminToken, worker);
  const exportSeconds = round1((performance.now() - exportStarted) / 1000);
  clearInterval(sampler);
  const fileMb = round1((await largestExportBytes()) / 1024 / 1024);
  const allPeakRss = Math.max(peakRss, warmUpPeakRss);
  const rssGrowth = round1(allPeakRss - idleRss);
  const exportRssGrowth = round1(peakRss - warmRss);
  log(`warm-up export of ${warmUp.rowCount} appointments: worker RSS ${idleRss} → ${warmRss} MB`);
  log(`export of ${view.rowCount} appointments: ready in ${exportSeconds} s, ${fileMb} MB; worker RSS idle ${idleRss} MB, peak ${allPeakRss} MB (+${rssGrowth} MB; the export alone, over the warm worker: +${exportRssGrowth} MB; worker flags: ${flags['worker-node-flags'] || 'none'}; storage: ${s3 ? 's3rver' : 'disk'})`);

  await rm(mediaRoot, { recursive: true, force: true });
  await s3?.close();
  const result = {
    appointments: DOCTORS * APPOINTMENTS_PER_DOCTOR,
    doctors: DOCTORS,
    reports,
    export: { storage: s3 ? 's3rver' : 'disk', rows: view.rowCount, seconds: exportSeconds, fileMb, workerIdleRssMb: idleRss, workerWarmRssMb: warmRss, workerPeakRssMb: allPeakRss, workerRssGrowthMb: rssGrowth, exportRssGrowthOverWarmMb: exportRssGrowth },
    targets: {
      reportMonthP50Under50Ms: reports.slice(0, 3).every((timing) => timing.p50Ms < 50),
      exportRssGrowthUnder50Mb: rssGrowth < 50,
    },
    machine: { loadavgBefore: loadBefore, loadavgAfter: loadNow(), node: process.version },
  };
  console.log(JSON.stringify(result, null, 2));
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify(result, null, 2)}\n`);
}

await runMain(main, () => database);
