// `npm run bench:jobs` (`node bench/jobs.ts`): how fast background jobs drain (issue 22, item 2).
// Each in its own process, loopback only: an SMTP sink (bench/smtp-sink.ts), stand-alone workers
// (`node src/worker.ts`, production mode, the sink as EMAIL_HOST) and the load (bench/jobs-load.ts,
// the app's own enqueue). Reports, with the targets:
//   - pickup on an empty queue: a mail job's start (and completion) after its commit, p50/p95/max
//     over single mails 0.3-0.9 s apart (target: start ≤ 500 ms);
//   - drain: 2,000 mails committed at once, until the sink has the last one (target ≤ 30 s), and
//     the rate, mails/s (target ≥ 100 with 2 workers);
//   - the sink's count (every mail exactly once) and repeated Message-IDs.
// `--app-root DIR` runs another checkout's workers and enqueue (a `git archive` of a commit with
// node_modules linked and src/generated copied in): the figures before a change, on this machine.
// Writes bench/results/jobs.json.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  benchAdminUrl,
  benchDir,
  createBenchDatabase,
  detectRunner,
  getAppRoot,
  installCleanup,
  migrate,
  newSecretKey,
  round1,
  runToCompletion,
  runnerArgs,
  setAppRoot,
  sleep,
  startSmtpSink,
  startWorker,
  runMain,
  stopChild,
  type BenchDatabase,
  type Child,
  type Runner,
} from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    mails: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '2' },
    samples: { type: 'string', default: '20' },
    'app-root': { type: 'string' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'jobs.json') },
  },
});
const MAILS = Number(flags.mails);
const WORKERS = Number(flags.workers);
const SAMPLES = Number(flags.samples);
const TARGETS = { pickupMs: 500, drainSeconds: 30, mailsPerSecond: 100 };
const NODE = process.execPath;

let database: BenchDatabase | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

async function load(runner: Runner, env: NodeJS.ProcessEnv, args: string[]): Promise<unknown> {
  const output = await runToCompletion('load', NODE, [...runnerArgs(runner), path.join(benchDir, 'jobs-load.ts'), ...args], env, 600_000);
  const line = output.split('\n').find((text) => text.startsWith('{'));
  if (!line) throw new Error(`the load printed no JSON:\n${output}`);
  return JSON.parse(line);
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  if (flags['app-root']) setAppRoot(flags['app-root']);
  const { runner, reason } = detectRunner();
  log(`app: ${getAppRoot()}; runner ${runner} (${reason}); ${WORKERS} workers, ${MAILS} mails, ${SAMPLES} pickup samples`);

  database = await createBenchDatabase(benchAdminUrl);
  await migrate(runner, database.url);
  const secretKey = newSecretKey();
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, SECRET_KEY: secretKey, BENCH_APP_ROOT: getAppRoot() };

  const sink = await startSmtpSink(runner, baseEnv);

  const workers: Child[] = [];
  for (let i = 0; i < WORKERS; i += 1) workers.push(await startWorker(`worker-${i + 1}`, runner, baseEnv, sink));
  log(`sink on :${sink.smtpPort}, ${WORKERS} workers processing`);

  // Pickup on an empty queue.
  const { samples } = (await load(runner, baseEnv, ['latency', String(SAMPLES)])) as { samples: { pickupMs: number; doneMs: number }[] };
  const pickups = samples.map((sample) => sample.pickupMs);
  const dones = samples.map((sample) => sample.doneMs);
  const pickup = {
    samples: samples.length,
    startP50Ms: percentile(pickups, 50),
    startP95Ms: percentile(pickups, 95),
    startMaxMs: Math.round(Math.max(...pickups)),
    doneP50Ms: percentile(dones, 50),
    doneP95Ms: percentile(dones, 95),
    doneMaxMs: Math.round(Math.max(...dones)),
  };
  log(`pickup on an empty queue: start p50 ${pickup.startP50Ms} ms, p95 ${pickup.startP95Ms} ms, max ${pickup.startMaxMs} ms; done p50 ${pickup.doneP50Ms} ms, max ${pickup.doneMaxMs} ms`);

  // Drain a backlog committed at once.
  await sink.stats(true);
  const { committedAt } = (await load(runner, baseEnv, ['burst', String(MAILS)])) as { committedAt: number };
  log(`${MAILS} mails committed`);
  const deadline = Date.now() + 20 * 60_000;
  let stats = await sink.stats();
  while (stats.count < MAILS && Date.now() < deadline) {
    await sleep(100);
    stats = await sink.stats();
  }
  // Time for a duplicate to arrive, were one sent.
  await sleep(2_000);
  stats = await sink.stats();
  const arrivals = [...stats.arrivals].sort((a, b) => a - b);
  const last = arrivals[Math.min(MAILS, arrivals.length) - 1]!;
  const drainSeconds = (last - committedAt) / 1000;
  // The steady rate: from the 10th to the 90th percentile arrival (start-up and tail left out).
  const steadyFrom = arrivals[Math.floor(arrivals.length * 0.1)]!;
  const steadyTo = arrivals[Math.floor(arrivals.length * 0.9)]!;
  const drain = {
    mails: MAILS,
    delivered: stats.count,
    drainSeconds: round1(drainSeconds),
    mailsPerSecond: Math.round(Math.min(MAILS, stats.count) / drainSeconds),
    steadyMailsPerSecond: Math.round((Math.floor(arrivals.length * 0.9) - Math.floor(arrivals.length * 0.1)) / ((steadyTo - steadyFrom) / 1000)),
    withMessageId: stats.withMessageId,
    repeatedMessageIds: stats.repeated.length,
  };
  log(`drain: ${drain.delivered} of ${MAILS} delivered in ${drain.drainSeconds} s: ${drain.mailsPerSecond} mails/s (steady ${drain.steadyMailsPerSecond}/s); ${drain.repeatedMessageIds} repeated Message-IDs`);
  for (const worker of workers) await stopChild(worker);
  await stopChild(sink.child);

  const verdicts = [
    `pickup p95 ${pickup.startP95Ms} ms ${pickup.startP95Ms <= TARGETS.pickupMs ? '≤' : '>'} ${TARGETS.pickupMs} ms`,
    `drain ${drain.drainSeconds} s ${drain.drainSeconds <= TARGETS.drainSeconds ? '≤' : '>'} ${TARGETS.drainSeconds} s`,
    `${drain.mailsPerSecond} mails/s ${drain.mailsPerSecond >= TARGETS.mailsPerSecond ? '≥' : '<'} ${TARGETS.mailsPerSecond}`,
    `${drain.delivered === MAILS ? 'every mail once' : `${drain.delivered} deliveries for ${MAILS} mails`}`,
  ];
  console.log(`\n${verdicts.join('; ')}`);
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify({ date: new Date().toISOString(), app: getAppRoot(), runner, workers: WORKERS, targets: TARGETS, pickup, drain }, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  if (drain.delivered !== MAILS) process.exitCode = 1;
}

await runMain(main, () => database);
