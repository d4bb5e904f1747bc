// `npm run bench [-- --quick] [-- --memory]`: load benchmarks of the API in production mode,
// each next to a reference measured in the same run (absolute numbers drift on shared machines):
// the server, the references (bare Fastify; the same user lookup through plain `pg`) and the
// load generator (wrk, else autocannon) each run in their own process. Prints a table and
// writes bench/results/latest.json. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { redisAnswers } from '../src/lib/redis.ts';
import {
  benchDir,
  buildApp,
  createBenchDatabase,
  createUser,
  detectLoadGenerator,
  detectRunner,
  getAppRoot,
  setAppRoot,
  freePort,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  round1,
  round2,
  cpuMs,
  rssMb,
  runLoad,
  spawnServer,
  startReference,
  runMain,
  benchRedisUrl,
  stopChild,
  waitForStatus,
  type BenchDatabase,
  type LoadGenerator,
  type LoadResult,
  type LoadSpec,
  type Server,
  type Runner,
  type ServerSettings,
} from './lib.ts';
import { DIRECTORY, seedDirectory } from './seed.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string' },
    threads: { type: 'string', default: '1' },
    'memory-seconds': { type: 'string', default: '60' },
    /** Cold start from `src/server.ts` only, without compiling the production build first. */
    'skip-build': { type: 'boolean', default: false },
    /** Extra node flags for the API process, after its production ones (lib.ts API_NODE_FLAGS), e.g. "--max-semi-space-size=32" (space-separated). */
    'api-node-flags': { type: 'string', default: '' },
    /**
     * With --memory: a second API process with these node flags added (B) beside the first (A),
     * their rounds alternating A, B, A, B...: an A/B of heap settings in one run.
     */
    'memory-compare': { type: 'string' },
    /** Rounds the target and its reference alternate in (the duration is split between them). */
    rounds: { type: 'string' },
    'load-generator': { type: 'string' },
    runner: { type: 'string' },
    'app-root': { type: 'string' },
    out: { type: 'string', default: path.join(benchDir, 'results', 'latest.json') },
    /** Comma-separated scenarios to run (default: all): live, me, login, doctors, cached-doctors, search, mixed, cold (and memory with --memory). */
    only: { type: 'string' },
  },
});

const quick = flags.quick;
const SCENARIOS = ['live', 'me', 'login', 'doctors', 'cached-doctors', 'search', 'mixed', 'cold', 'memory'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
const only = new Set((flags.only ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()));
for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name} (${SCENARIOS.join(', ')})`);
const wanted = (name: ScenarioName) => only.has(name);
const positiveInt = (text: string | undefined, fallback: number, name: string): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const durationSeconds = positiveInt(flags.duration, quick ? 1 : 8, 'duration');
const warmupSeconds = quick ? 0 : 2;
const connections = positiveInt(flags.connections, 50, 'connections');
const loginConnections = 10;
const threads = positiveInt(flags.threads, 1, 'threads');
const apiNodeFlags = (flags['api-node-flags'] ?? '').split(' ').filter(Boolean);
const roundCount = positiveInt(flags.rounds, quick ? 1 : 3, 'rounds');
const roundSeconds = Math.max(1, Math.round(durationSeconds / roundCount));
/** Connections of the directory scenarios (doctor list, patient search). */
const directoryConnections = [10, 50];
/** Connections reading the doctor list in the mixed scenario (beside the 10 logging in). */
const mixedListConnections = 10;
const memorySeconds = quick ? 1 : positiveInt(flags['memory-seconds'], 60, 'memory-seconds');
const compareFlags = (flags['memory-compare'] ?? '').split(' ').filter(Boolean);
const COLD_STARTS = 3;

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

// ── Results ─────────────────────────────────────────────────────────────────────────────────

/** One API process of the memory scenario: its node flags, its idle RSS and its rounds. */
interface MemoryRun {
  label: string;
  nodeFlags: string[];
  idleRssMb: number | null;
  seconds: number;
  connections: number;
  rounds: (Measured & { round: number })[];
}

interface Measured extends LoadResult {
  /** RSS (MB) of the process under load, read right after the round. */
  rssMb: number | null;
  /** CPU time the process under load used during the round (ms), and per request (µs). */
  cpuMs: number | null;
  cpuUsPerRequest: number | null;
}

interface ScenarioResult {
  name: string;
  target: string;
  connections: number;
  reference: { name: string; result: Measured } | null;
  result: Measured;
  /**
   * Target ÷ reference, except `perCpu`: requests per CPU-second of the target ÷ the reference's
   * (the reference's CPU per request over the target's), which the machine's load barely moves.
   */
  ratios: { rps: number; p50: number; p99: number; rss: number | null; perCpu: number | null } | null;
  /** The read cache during the scenario (cached scenarios): share of reads answered from it, Redis round trips per request. */
  cache?: CacheFigures;
}

interface CacheFigures {
  reads: number;
  hitRatio: number;
  redisRoundTripsPerRequest: number;
}

/** The read cache's counters from the server's GET /metrics (lib/cache.ts). */
async function cacheCounters(base: string, token: string): Promise<{ reads: Record<string, number>; redis: number }> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const reads: Record<string, number> = {};
  let redis = 0;
  for (const [, name, label, value] of text.matchAll(/^(clinic_cache_(?:reads|redis_commands)_total)\{\w+="(\w+)"\} (\S+)$/gm)) {
    if (name === 'clinic_cache_reads_total') reads[label!] = Number(value);
    else redis += Number(value);
  }
  return { reads, redis };
}

function cacheFiguresOf(before: Awaited<ReturnType<typeof cacheCounters>>, after: Awaited<ReturnType<typeof cacheCounters>>): CacheFigures {
  const delta = (outcome: string) => (after.reads[outcome] ?? 0) - (before.reads[outcome] ?? 0);
  const reads = ['hit', 'miss', 'shared', 'bypass'].reduce((sum, outcome) => sum + delta(outcome), 0);
  return {
    reads,
    hitRatio: reads > 0 ? Math.round((delta('hit') / reads) * 10_000) / 10_000 : 0,
    redisRoundTripsPerRequest: reads > 0 ? Math.round(((after.redis - before.redis) / reads) * 1000) / 1000 : 0,
  };
}

/** Every spelling of `word` in upper and lower case: ILIKE matches the same rows, the read cache (which does not fold case) sees distinct terms. */
function caseVariants(word: string): string[] {
  return Array.from({ length: 2 ** word.length }, (_, mask) => [...word].map((char, i) => ((mask >> i) & 1 ? char.toUpperCase() : char.toLowerCase())).join(''));
}

/** First searches (read-cache misses) of the admin patient search: at most `concurrency` in flight, each term's latency. */
interface SearchMisses {
  connections: number;
  searches: number;
  /** What the server's cache counted as misses (must be `searches`: otherwise some were hits). */
  misses: number;
  p50Ms: number;
  maxMs: number;
}

async function firstSearches(base: string, token: string, terms: readonly string[], concurrency: number): Promise<number[]> {
  const queue = [...terms];
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let term = queue.shift(); term !== undefined; term = queue.shift()) {
        const started = performance.now();
        const response = await fetch(`${base}/v1/api/patient/patients/?search=${encodeURIComponent(term)}`, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`search ${term}: ${response.status}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);

function ratiosOf(result: Measured, reference: Measured): ScenarioResult['ratios'] {
  return {
    rps: ratio(result.rps, reference.rps),
    p50: ratio(result.p50Ms, reference.p50Ms),
    p99: ratio(result.p99Ms, reference.p99Ms),
    rss: result.rssMb !== null && reference.rssMb !== null ? ratio(result.rssMb, reference.rssMb) : null,
    perCpu: result.cpuUsPerRequest && reference.cpuUsPerRequest ? ratio(reference.cpuUsPerRequest, result.cpuUsPerRequest) : null,
  };
}

// ── Steps ───────────────────────────────────────────────────────────────────────────────────

/** One round: `durationSeconds / rounds` of load, and the RSS of `pid` right after. */
async function measureOnce(generator: LoadGenerator, pid: number, spec: Omit<LoadSpec, 'durationSeconds' | 'threads'>): Promise<Measured> {
  const cpuBefore = cpuMs(pid);
  const result = await runLoad(generator, { ...spec, threads, durationSeconds: roundSeconds });
  const cpuAfter = cpuMs(pid);
  const used = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return { ...result, rssMb: rssMb(pid), cpuMs: used, cpuUsPerRequest: perRequest(used, result.requests) };
}

const perRequest = (cpu: number | null, requests: number) => (cpu !== null && requests > 0 ? Math.round((cpu * 1000) / requests) : null);

/** Rounds as one result: requests over the total time; p50, p99 and RSS the median of the rounds'. */
function combine(rounds: Measured[]): Measured {
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.durationSeconds, 0);
  return {
    requests,
    durationSeconds: round2(seconds),
    rps: Math.round(requests / Math.max(seconds, 0.001)),
    p50Ms: median(rounds.map((r) => r.p50Ms)) ?? 0,
    p99Ms: median(rounds.map((r) => r.p99Ms)) ?? 0,
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    socketErrors: rounds.reduce((sum, r) => sum + r.socketErrors, 0),
    rssMb: rounds.at(-1)?.rssMb ?? null,
    cpuMs: rounds.every((r) => r.cpuMs !== null) ? rounds.reduce((sum, r) => sum + r.cpuMs!, 0) : null,
    cpuUsPerRequest: rounds.every((r) => r.cpuMs !== null) ? perRequest(rounds.reduce((sum, r) => sum + r.cpuMs!, 0), requests) : null,
  };
}

/** The median over rounds of each round's ratio to the reference round run just before it. */
function medianRatios(rounds: Measured[], references: Measured[]): NonNullable<ScenarioResult['ratios']> {
  const each = rounds.map((r, i) => ratiosOf(r, references[i]!)!);
  const pick = (key: 'rps' | 'p50' | 'p99') => median(each.map((e) => e[key])) ?? 0;
  const rss = each.map((e) => e.rss).filter((value): value is number => value !== null);
  const perCpu = each.map((e) => e.perCpu).filter((value): value is number => value !== null);
  return { rps: pick('rps'), p50: pick('p50'), p99: pick('p99'), rss: median(rss), perCpu: median(perCpu) };
}

/**
 * Time from spawn to the first 200 of /health/ready (a database-backed route), and the CPU time
 * the server used by then (on a loaded machine the wall time mostly measures waiting for a core).
 */
async function coldStart(settings: ServerSettings): Promise<{ wallMs: number; cpuMs: number | null }> {
  const server = await spawnServer(settings, apiNodeFlags, 'api-cold');
  try {
    const wallMs = await waitForStatus(`${server.base}/health/ready`, { child: server.child, since: server.spawnedAt, timeoutMs: 60_000, intervalMs: 5 });
    return { wallMs: Math.round(wallMs), cpuMs: cpuMs(server.child.pid) };
  } finally {
    await stopChild(server.child);
  }
}

async function startApi(settings: ServerSettings): Promise<{ server: Server; startMs: number }> {
  const server = await spawnServer(settings, apiNodeFlags);
  const startMs = await waitForStatus(`${server.base}/health/ready`, { child: server.child, since: server.spawnedAt, timeoutMs: 120_000 });
  return { server, startMs };
}

/** The commit of the checkout, with `+dirty` when its src/ has uncommitted changes. */
function gitDescribe(dir: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' });
  if (head.status !== 0) return 'not a git checkout';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'prisma', 'scripts'], { cwd: dir, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function printTable(scenarios: ScenarioResult[]): void {
  const x = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${value.toFixed(2)}×`);
  const rows: Record<string, string | number>[] = [];
  for (const scenario of scenarios) {
    if (scenario.reference) {
      const ref = scenario.reference.result;
      rows.push({
        scenario: `  ref: ${scenario.reference.name}`,
        c: scenario.connections,
        'req/s': ref.rps,
        'p50 ms': ref.p50Ms,
        'p99 ms': ref.p99Ms,
        'non-2xx': ref.non2xx + ref.socketErrors,
        'RSS MB': ref.rssMb ?? '?',
        'CPU µs/req': ref.cpuUsPerRequest ?? '?',
        'req/s ×': '',
        'p50 ×': '',
        'p99 ×': '',
        'RSS ×': '',
        'req/CPU-s ×': '',
      });
    }
    const r = scenario.result;
    rows.push({
      scenario: scenario.name,
      c: scenario.connections,
      'req/s': r.rps,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'non-2xx': r.non2xx + r.socketErrors,
      'RSS MB': r.rssMb ?? '?',
      'CPU µs/req': r.cpuUsPerRequest ?? '?',
      'req/s ×': x(scenario.ratios?.rps),
      'p50 ×': x(scenario.ratios?.p50),
      'p99 ×': x(scenario.ratios?.p99),
      'RSS ×': x(scenario.ratios?.rss),
      'req/CPU-s ×': x(scenario.ratios?.perCpu),
    });
  }
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((column) => String(row[column]))));
}

// ── Main ────────────────────────────────────────────────────────────────────────────────────

let database: BenchDatabase | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
});

async function main(): Promise<void> {
  const started = performance.now();
  const generator = detectLoadGenerator(flags['load-generator']);
  if (flags['app-root']) setAppRoot(flags['app-root']);
  const chosen = flags.runner;
  const detected: { runner: Runner; reason: string } =
    chosen === 'node' || chosen === 'tsx' ? { runner: chosen, reason: 'chosen with --runner' } : detectRunner();
  const runner = detected.runner;
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  log(`mode ${quick ? 'quick' : 'full'}: ${durationSeconds}s per scenario (+${warmupSeconds}s warm-up), ${connections} connections (login ${loginConnections}), load generator ${generator}${generator === 'wrk' ? ` -t${threads}` : ''}`);
  log(`app: ${getAppRoot()} (git ${gitDescribe(getAppRoot())})`);
  log(`runner: ${runner === 'tsx' ? 'node --import tsx' : 'node'} src/server.ts (${detected.reason})`);

  database = await createBenchDatabase(adminUrl);
  log(`database ${database.name}: migrating with scripts/migrate.ts`);
  await migrate(runner, database.url);
  log('migrated');

  const directorySeeded = wanted('doctors') || wanted('cached-doctors') || wanted('search') || wanted('mixed');
  if (directorySeeded) {
    await seedDirectory(database.url);
    log(`seeded ${DIRECTORY.doctors} doctors and ${DIRECTORY.patients} patients`);
  }

  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(12).toString('base64url')}-7q!`;
  await createUser(runner, database.url, email, password);
  log(`user ${email} created with scripts/create-admin.ts`);

  const settings: ServerSettings = { runner, databaseUrl: database.url, secretKey: newSecretKey(), emailPort: await freePort() };

  // The API, and the references, each in its own process.
  const { server: api, startMs: firstStartMs } = await startApi(settings);
  const idleRss = rssMb(api.child.pid);
  log(`api up in ${Math.round(firstStartMs)} ms (first start: pg-boss schema setup included), pid ${api.child.pid}, idle RSS ${idleRss} MB`);
  const bare = await startReference('ref-bare.ts', runner, '/ping');
  const refPg = await startReference('ref-pg.ts', runner, '/v1/api/user/me', { DATABASE_URL: database.url, SECRET_KEY: settings.secretKey }, 401);
  const refDirectory = wanted('doctors')
    ? await startReference('ref-pg-directory.ts', runner, '/v1/api/doctor/list/', { DATABASE_URL: database.url, PUBLIC_URL: api.base })
    : undefined;
  log(`references up: bare Fastify pid ${bare.child.pid}, plain pg pid ${refPg.child.pid}${refDirectory ? `, plain pg doctor list pid ${refDirectory.child.pid}` : ''}`);
  if (refDirectory) {
    // The same page from both (links aside: they name each server's query).
    const pages = await Promise.all(
      [api.base, refDirectory.base].map(async (base) => (await (await fetch(`${base}/v1/api/doctor/list/?ordering=-rating&pageSize=50`)).json()) as { count: number; results: unknown[] }),
    );
    if (pages[0]!.count !== DIRECTORY.doctors || JSON.stringify(pages[0]!.results) !== JSON.stringify(pages[1]!.results)) {
      throw new Error('the doctor list differs between the API and the plain pg reference');
    }
  }

  // Both answer the same body for user/me (a sanity check that the reference does the same lookup).
  const token0 = await login(api.base, email, password);
  const bodies = await Promise.all(
    [api.base, refPg.base].map(async (base) => {
      const response = await fetch(`${base}/v1/api/user/me`, { headers: { authorization: `Bearer ${token0}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }),
  );
  if (bodies.some((b) => b.status !== 200) || JSON.stringify(bodies[0]!.body) !== JSON.stringify(bodies[1]!.body)) {
    throw new Error(`user/me differs between the API and the pg reference: ${JSON.stringify(bodies)}`);
  }

  const scenarios: ScenarioResult[] = [];
  type Spec = Omit<LoadSpec, 'durationSeconds' | 'threads'>;
  /**
   * The target and its reference alternate in `rounds` rounds (reference first), so that a change
   * in the machine's load hits both alike; req/s is over all rounds, p50/p99 the median of the
   * rounds', and each ratio the median of the rounds' ratios.
   */
  const run = async (name: string, target: Server, spec: Spec, reference?: { name: string; server: Server; spec: Spec }) => {
    if (warmupSeconds > 0) {
      if (reference) await runLoad(generator, { ...reference.spec, threads, durationSeconds: warmupSeconds });
      await runLoad(generator, { ...spec, threads, durationSeconds: warmupSeconds });
    }
    const refRounds: Measured[] = [];
    const rounds: Measured[] = [];
    for (let round = 0; round < roundCount; round += 1) {
      if (reference) refRounds.push(await measureOnce(generator, reference.server.child.pid, reference.spec));
      rounds.push(await measureOnce(generator, target.child.pid, spec));
    }
    const result = combine(rounds);
    const ref = reference ? { name: reference.name, result: combine(refRounds) } : null;
    const ratios = ref ? medianRatios(rounds, refRounds) : null;
    scenarios.push({ name, target: spec.url, connections: spec.connections, reference: ref, result, ratios });
    log(`${name} c=${spec.connections}: ${result.rps} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}${ref ? ` (${ratios!.rps}× ${ref.name})` : ''}`);
  };

  const bareSpec = { url: `${bare.base}/ping`, connections };
  if (wanted('live')) {
    await run('GET /health/live', api, { url: `${api.base}/health/live`, connections }, { name: 'bare Fastify /ping', server: bare, spec: bareSpec });
  }
  if (wanted('me')) {
    const token = await login(api.base, email, password); // fresh: access tokens live 5 minutes
    await run(
      'GET user/me (bearer)',
      api,
      { url: `${api.base}/v1/api/user/me`, connections, token },
      { name: 'plain pg user/me', server: refPg, spec: { url: `${refPg.base}/v1/api/user/me`, connections, token } },
    );
  }
  const loginSpec: Spec = { url: `${api.base}/v1/api/user/login/`, connections: loginConnections, method: 'POST', body: JSON.stringify({ email, password }) };
  if (wanted('login')) await run('POST user/login', api, loginSpec);

  // The directory (item 5): the doctor list page of 50 next to the same SQL through plain pg, and
  // the admin patient search, on 1,000 doctors and 100,000 patients.
  const listPath = '/v1/api/doctor/list/?ordering=-rating&pageSize=50';
  if (refDirectory && wanted('doctors')) {
    for (const c of directoryConnections) {
      await run('GET doctor/list/ (page of 50)', api, { url: `${api.base}${listPath}`, connections: c }, {
        name: 'plain pg doctor list',
        server: refDirectory,
        spec: { url: `${refDirectory.base}${listPath}`, connections: c },
      });
    }
  }
  // The warm cached doctor list (issue 19 item 5): the same page from a second API instance with
  // the read cache in Redis, next to bare Fastify's hello (target ≥ 0.3×), with the cache's hit
  // ratio and Redis round trips per request read from that instance's /metrics.
  if (directorySeeded && wanted('cached-doctors')) {
    if (await redisAnswers(benchRedisUrl)) {
      const metricsToken = newSecretKey();
      const { server: cachedApi } = await startApi({ ...settings, env: { REDIS_URL: benchRedisUrl, METRICS_TOKEN: metricsToken } });
      try {
        const [plain, cachedPage] = await Promise.all([api.base, cachedApi.base].map(async (base) => (await (await fetch(`${base}${listPath}`)).json()) as { results: unknown[] }));
        if (JSON.stringify(plain!.results) !== JSON.stringify(cachedPage!.results)) throw new Error('the cached doctor list differs from the uncached one');
        const before = await cacheCounters(cachedApi.base, metricsToken);
        await run('GET doctor/list/ cached (page of 50)', cachedApi, { url: `${cachedApi.base}${listPath}`, connections }, { name: 'bare Fastify /ping', server: bare, spec: bareSpec });
        const figures = cacheFiguresOf(before, await cacheCounters(cachedApi.base, metricsToken));
        scenarios.at(-1)!.cache = figures;
        log(`cached doctor list: ${figures.reads} cache reads, hit ratio ${figures.hitRatio}, ${figures.redisRoundTripsPerRequest} Redis round trips per request`);
      } finally {
        await stopChild(cachedApi.child);
      }
    } else {
      log(`cached-doctors skipped: no Redis at ${benchRedisUrl} (set BENCH_REDIS_URL)`);
    }
  }
  // Mixed load (item 6): the doctor list's p99 alone, then with logins at full rate beside it
  // (a second load generator), alternating; the ratio of the p99s is the target (≤ 2×).
  if (directorySeeded && wanted('mixed')) {
    const listSpec: Spec = { url: `${api.base}${listPath}`, connections: mixedListConnections };
    if (warmupSeconds > 0) await runLoad(generator, { ...listSpec, threads, durationSeconds: warmupSeconds });
    const alone: Measured[] = [];
    const loaded: Measured[] = [];
    const logins: Measured[] = [];
    for (let round = 0; round < roundCount; round += 1) {
      alone.push(await measureOnce(generator, api.child.pid, listSpec));
      const [list, logged] = await Promise.all([measureOnce(generator, api.child.pid, listSpec), measureOnce(generator, api.child.pid, loginSpec)]);
      loaded.push(list);
      logins.push(logged);
    }
    const result = combine(loaded);
    const ratios = medianRatios(loaded, alone);
    scenarios.push({
      name: 'doctor list under logins',
      target: listSpec.url,
      connections: listSpec.connections,
      reference: { name: 'doctor list alone', result: combine(alone) },
      result,
      ratios,
    });
    const loginResult = combine(logins);
    scenarios.push({ name: '  logins beside it', target: loginSpec.url, connections: loginConnections, reference: null, result: loginResult, ratios: null });
    log(`mixed: doctor list p99 ${result.p99Ms} ms under ${loginResult.rps} logins/s vs ${combine(alone).p99Ms} ms alone (${ratios.p99}×)`);
  }
  // Last: slow searches left queued when a round ends would hold up whatever came next.
  // The admin search (item 7) runs on an instance with the read cache in Redis, as deployments of
  // more than one process do: the same term again and again (hits after the first), then first
  // searches of other spellings of it (misses, the same 10,000 matches). Without Redis: uncached.
  const searchMisses: SearchMisses[] = [];
  if (directorySeeded && wanted('search')) {
    const cached = await redisAnswers(benchRedisUrl);
    if (!cached) log(`search without the read cache: no Redis at ${benchRedisUrl} (set BENCH_REDIS_URL)`);
    const metricsToken = newSecretKey();
    const searchApi = cached ? (await startApi({ ...settings, env: { REDIS_URL: benchRedisUrl, METRICS_TOKEN: metricsToken } })).server : api;
    try {
      for (const c of directoryConnections) {
        const token = await login(searchApi.base, email, password);
        const before = cached ? await cacheCounters(searchApi.base, metricsToken) : undefined;
        await run(`GET patient/patients/?search=Novak (admin${cached ? ', cached' : ''})`, searchApi, { url: `${searchApi.base}/v1/api/patient/patients/?search=Novak`, connections: c, token });
        if (before) scenarios.at(-1)!.cache = cacheFiguresOf(before, await cacheCounters(searchApi.base, metricsToken));
      }
      if (cached) {
        const token = await login(searchApi.base, email, password);
        const novak = caseVariants('novak').filter((term) => term !== 'Novak');
        for (const [connections, terms] of [[1, caseVariants('nova')], [10, [...novak, ...caseVariants('ovak')]]] as const) {
          const before = await cacheCounters(searchApi.base, metricsToken);
          const latencies = await firstSearches(searchApi.base, token, terms, connections);
          const after = await cacheCounters(searchApi.base, metricsToken);
          const misses = (after.reads.miss ?? 0) - (before.reads.miss ?? 0);
          searchMisses.push({ connections, searches: terms.length, misses, p50Ms: round1(median(latencies)!), maxMs: round1(Math.max(...latencies)) });
          log(`admin search, first searches of ${terms.length} terms ${connections} at a time: p50 ${searchMisses.at(-1)!.p50Ms} ms, max ${searchMisses.at(-1)!.maxMs} ms (${misses} cache misses)`);
        }
      }
    } finally {
      if (searchApi !== api) await stopChild(searchApi.child);
    }
  }
  const afterRss = rssMb(api.child.pid);
  await Promise.all([stopChild(api.child), stopChild(bare.child), stopChild(refPg.child), ...(refDirectory ? [stopChild(refDirectory.child)] : [])]);

  // Cold start: spawn to the first 200 of /health/ready, median of three.
  const coldStarts: number[] = [];
  const coldCpu: number[] = [];
  for (let i = 0; i < (wanted('cold') ? COLD_STARTS : 0); i += 1) {
    const sample = await coldStart(settings);
    coldStarts.push(sample.wallMs);
    if (sample.cpuMs !== null) coldCpu.push(sample.cpuMs);
  }
  if (coldStarts.length > 0) log(`cold start to /health/ready: ${coldStarts.join(', ')} ms → median ${median(coldStarts)} ms (server CPU ${coldCpu.join(', ')} ms)`);
  // The same from the production build (node dist/src/server.js, as the Docker image runs it):
  // no TypeScript to strip while loading.
  const buildStarts: number[] = [];
  const buildCpu: number[] = [];
  if (wanted('cold') && !quick && !flags['skip-build']) {
    const dir = await mkdtemp(path.join(tmpdir(), 'clinic-bench-build-'));
    try {
      const build = await buildApp(dir);
      log(`built with tsc -p tsconfig.build.json into ${dir}`);
      for (let i = 0; i < COLD_STARTS; i += 1) {
        const sample = await coldStart({ ...settings, build });
        buildStarts.push(sample.wallMs);
        if (sample.cpuMs !== null) buildCpu.push(sample.cpuMs);
      }
      log(`cold start of the build: ${buildStarts.join(', ')} ms → median ${median(buildStarts)} ms (server CPU ${buildCpu.join(', ')} ms)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // Memory: a fresh server (two with --memory-compare), a mix of routes, three rounds each.
  const mixOf = (token: string): NonNullable<LoadSpec['mix']> => [
    { method: 'GET', path: '/health/live', auth: false },
    { method: 'GET', path: '/v1/api/user/me', auth: true },
    { method: 'GET', path: '/health/ready', auth: false },
    { method: 'GET', path: '/v1/api/user/me', auth: true },
    { method: 'GET', path: '/v1/api/user/me', auth: false }, // 401 problem+json
    { method: 'GET', path: '/v1/api/no-such-route', auth: false }, // 404
    { method: 'POST', path: '/v1/api/user/token/verify/', auth: false, body: JSON.stringify({ token }) },
  ];
  const memoryRound = async (server: Server): Promise<Measured> => {
    const mixToken = await login(server.base, email, password); // fresh each round: access tokens live 5 minutes
    const cpuBefore = cpuMs(server.child.pid);
    const result = await runLoad(generator, { url: server.base, durationSeconds: memorySeconds, connections, threads, token: mixToken, mix: mixOf(mixToken) });
    const cpuAfter = cpuMs(server.child.pid);
    const used = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
    const expected = mixOf('').filter((entry) => entry.path.includes('no-such') || (entry.path.endsWith('/me') && !entry.auth)).length / mixOf('').length;
    const share = result.non2xx / Math.max(1, result.requests);
    if (Math.abs(share - expected) > 0.05) throw new Error(`the mix answered ${result.non2xx} of ${result.requests} with status ≥ 400: not the expected share`);
    return { ...result, rssMb: rssMb(server.child.pid), cpuMs: used, cpuUsPerRequest: perRequest(used, result.requests) };
  };
  let memory: MemoryRun[] | null = null;
  if (flags.memory && wanted('memory')) {
    const variants = [{ label: 'A', nodeFlags: apiNodeFlags }];
    if (compareFlags.length > 0) variants.push({ label: 'B', nodeFlags: [...apiNodeFlags, ...compareFlags] });
    const runs: { run: MemoryRun; server: Server }[] = [];
    for (const variant of variants) {
      const server = await spawnServer(settings, variant.nodeFlags, `api-${variant.label}`);
      await waitForStatus(`${server.base}/health/ready`, { child: server.child, since: server.spawnedAt, timeoutMs: 120_000 });
      const idle = rssMb(server.child.pid);
      runs.push({ server, run: { label: variant.label, nodeFlags: variant.nodeFlags, idleRssMb: idle, seconds: memorySeconds, connections, rounds: [] } });
      log(`memory ${variant.label} (${variant.nodeFlags.join(' ') || 'no extra flags'}): fresh api pid ${server.child.pid}, idle RSS ${idle} MB; 3 rounds of ${memorySeconds}s at ${connections} connections`);
    }
    for (let round = 1; round <= 3; round += 1) {
      for (const { run, server } of runs) {
        const measured = { ...(await memoryRound(server)), round };
        run.rounds.push(measured);
        log(`memory ${run.label} round ${round}: ${measured.rps} req/s, p99 ${measured.p99Ms} ms, RSS ${measured.rssMb} MB`);
      }
    }
    for (const { server } of runs) await stopChild(server.child);
    memory = runs.map(({ run }) => run);
  }

  console.log('');
  if (scenarios.length > 0) printTable(scenarios);
  for (const scenario of scenarios) {
    if (scenario.cache) console.log(`${scenario.name}: cache hit ratio ${scenario.cache.hitRatio}, ${scenario.cache.redisRoundTripsPerRequest} Redis round trips per request`);
  }
  console.log('');
  console.log(`API RSS: idle ${idleRss} MB, after all scenarios ${afterRss} MB`);
  if (coldStarts.length > 0) {
    console.log(`cold start (spawn → first 200 of /health/ready): median ${median(coldStarts)} ms of ${coldStarts.join(', ')} ms; server CPU by then: median ${median(coldCpu)} ms`);
    if (buildStarts.length > 0) {
      console.log(`cold start of the production build (node dist/src/server.js): median ${median(buildStarts)} ms of ${buildStarts.join(', ')} ms; server CPU: median ${median(buildCpu)} ms`);
    }
  }
  for (const run of memory ?? []) {
    const rps = Math.round(run.rounds.reduce((sum, r) => sum + r.rps, 0) / run.rounds.length);
    console.log(
      `memory ${run.label} (${run.nodeFlags.join(' ') || 'no extra flags'}; mix, ${run.seconds}s × 3 at ${run.connections} connections): ` +
        `idle ${run.idleRssMb} MB → ${run.rounds.map((r) => `${r.rssMb} MB`).join(' → ')}; ${rps} req/s, p99 ${run.rounds.map((r) => r.p99Ms).join(' / ')} ms`,
    );
  }

  const report = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, loadavg: (await import('node:os')).loadavg().map(round2) },
    app: { root: getAppRoot(), git: gitDescribe(getAppRoot()) },
    settings: { apiNodeFlags, durationSeconds, rounds: roundCount, roundSeconds, warmupSeconds, connections, loginConnections, threads, loadGenerator: generator, runner, runnerReason: detected.reason },
    api: { firstStartMs: Math.round(firstStartMs), idleRssMb: idleRss, rssAfterScenariosMb: afterRss },
    scenarios,
    searchMisses,
    coldStart: {
      samplesMs: coldStarts,
      medianMs: median(coldStarts),
      cpuSamplesMs: coldCpu,
      cpuMedianMs: median(coldCpu),
      build: { samplesMs: buildStarts, medianMs: median(buildStarts), cpuSamplesMs: buildCpu, cpuMedianMs: median(buildCpu) },
    },
    memory,
    totalSeconds: round1((performance.now() - started) / 1000),
  };
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
}

await runMain(main, () => database);
