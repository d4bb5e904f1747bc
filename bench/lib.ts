// Harness of the benchmarks: child processes (always killed at the end), a throw-away database
// migrated by the project's own code, the API server in production mode, and the load generator
// (wrk, or autocannon as a child process) each in its own process. Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const repoRoot = path.resolve(import.meta.dirname, '..');
export const benchDir = path.join(repoRoot, 'bench');
/**
 * The checkout whose src/ and scripts/ are benchmarked (cwd of the server, migrate and
 * create-admin children): this repository unless `--app-root` names another, e.g. a
 * `git archive` snapshot of a commit with node_modules and src/generated linked in.
 */
let appRoot = repoRoot;
export function setAppRoot(dir: string): void {
  appRoot = path.resolve(dir);
  if (!existsSync(path.join(appRoot, 'src', 'server.ts'))) throw new Error(`${appRoot} has no src/server.ts`);
}
export function getAppRoot(): string {
  return appRoot;
}
const NODE = process.execPath;

// ── Child processes ─────────────────────────────────────────────────────────────────────────

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last ~16 KB the process wrote to stdout and stderr. */
  output(): string;
}

const live = new Set<Child>();
const OUTPUT_KEEP = 16_384;

export function spawnChild(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Child {
  const proc = spawn(command, args, { cwd: options.cwd ?? appRoot, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  const keep = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString()).slice(-OUTPUT_KEEP);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    proc.on('error', (error) => {
      done = true;
      live.delete(child);
      buffer += `\n[spawn error] ${error.message}`;
      resolve('spawn-error');
    });
  });
  if (proc.pid === undefined) done = true;
  const child: Child = { name, proc, pid: proc.pid ?? -1, exited, hasExited: () => done, output: () => buffer };
  if (!done) live.add(child);
  return child;
}

/** Sends `signal`, waits up to `graceMs`, then SIGKILLs. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | string> {
  if (child.hasExited()) return child.exited;
  child.proc.kill(signal);
  const timer = sleep(graceMs, undefined, { ref: false }).then(() => 'timeout' as const);
  const outcome = await Promise.race([child.exited, timer]);
  if (outcome !== 'timeout') return outcome;
  child.proc.kill('SIGKILL');
  return child.exited;
}

/** Resolves with the first line of `child`'s output that `match` accepts, or rejects when it exits or after `timeoutMs`. */
export async function waitForOutput(child: Child, match: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const line = child.output().split('\n').find(match);
    if (line) return line;
    if (child.hasExited()) throw new Error(`${child.name} exited:\n${child.output()}`);
    await sleep(20);
  }
  throw new Error(`${child.name}: no matching output within ${timeoutMs} ms:\n${child.output()}`);
}

export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, 'SIGTERM', graceMs)));
}

/** Runs a child to completion (bounded by `timeoutMs`); throws with its output when it fails. */
export async function runToCompletion(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  const child = spawnChild(name, command, args, { env });
  const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => 'timeout' as const);
  const outcome = await Promise.race([child.exited, timer]);
  if (outcome === 'timeout') {
    await stopChild(child, 'SIGKILL');
    throw new Error(`${name} did not finish within ${timeoutMs} ms:\n${child.output()}`);
  }
  if (outcome !== 0) throw new Error(`${name} failed (${outcome}):\n${child.output()}`);
  return child.output();
}

/**
 * Runs a bench's `main`: an error is printed and makes the exit code 1; afterwards every child is
 * stopped and the bench's database (if it made one by then) dropped.
 */
export async function runMain(main: () => Promise<void>, database: () => BenchDatabase | undefined): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await stopAll();
    await database()?.drop().catch((error: unknown) => console.error('could not drop the bench database:', error));
  }
}

let cleanupHook: (() => Promise<void>) | undefined;
let cleaningUp = false;

/**
 * Children die with the harness: on normal exit, on an uncaught error and on SIGINT/SIGTERM
 * (then `cleanup`, e.g. dropping the database, runs first, bounded to 15 s).
 */
export function installCleanup(cleanup: () => Promise<void>): void {
  cleanupHook = cleanup;
  // Piped into `head`, a closed stdout must not kill us before the children and the database go.
  process.stdout.on('error', () => undefined);
  process.on('exit', () => {
    for (const child of live) child.proc.kill('SIGKILL');
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (cleaningUp) process.exit(130);
    cleaningUp = true;
    console.error(`\n${signal}: stopping children and cleaning up...`);
    const work = (async () => {
      for (const child of live) child.proc.kill('SIGKILL');
      await cleanupHook?.();
    })();
    void Promise.race([work, sleep(15_000, undefined, { ref: false })]).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

// ── Ports, HTTP, memory ─────────────────────────────────────────────────────────────────────

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers `status`; returns the milliseconds since `since` (performance.now()).
 * Bounded by `timeoutMs`; fails at once if `child` exits.
 */
export async function waitForStatus(
  url: string,
  options: { status?: number; timeoutMs?: number; intervalMs?: number; child?: Child; since?: number } = {},
): Promise<number> {
  const { status = 200, timeoutMs = 60_000, intervalMs = 10, child } = options;
  const since = options.since ?? performance.now();
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child?.hasExited()) throw new Error(`${child.name} exited before ${url} answered ${status}:\n${child.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === status) return performance.now() - since;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})${child ? `\n${child.output()}` : ''}`);
}

/** CPU time (user + system) a process has used so far, in ms (from /proc/<pid>/stat), or null. */
export function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? Math.round((ticks * 1000) / CLOCK_TICKS) : null;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status), or null when unreadable. */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

// ── TypeScript runner ───────────────────────────────────────────────────────────────────────

export type Runner = 'node' | 'tsx';

/** Node arguments that make `node <args> file.ts` run the project's TypeScript. */
export function runnerArgs(runner: Runner): string[] {
  return runner === 'tsx' ? ['--import', 'tsx'] : [];
}

/**
 * `node` when Node's own type stripping loads the server's modules, else `tsx` (its loader,
 * `node --import tsx`, in the same process: no wrapper process between us and the server).
 */
export function detectRunner(): { runner: Runner; reason: string } {
  const probe = spawnSync(
    NODE,
    [
      '--input-type=module',
      '-e',
      "await import('./src/app.ts'); await import('./src/lib/migrations.ts'); await import('./src/config.ts'); process.exit(0);",
    ],
    { cwd: appRoot, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  if (probe.status === 0) return { runner: 'node', reason: 'node loads src/ with type stripping' };
  const line = `${probe.stderr}`.split('\n').find((text) => /Error|not supported/i.test(text)) ?? `exit ${probe.status}`;
  return { runner: 'tsx', reason: `node src/server.ts fails: ${line.trim().slice(0, 200)}` };
}

// ── Database ────────────────────────────────────────────────────────────────────────────────

/** The PostgreSQL URL the benches create their databases from. */
export const benchAdminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function withDatabase(url: string, database: string): string {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return target.toString();
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) throw new Error(`the bench runs on loopback only; got database host ${host}`);
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `bench_<random>` on the server of `adminUrl`; drop() removes it (WITH FORCE). */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  assertLoopback(adminUrl);
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A minimal environment for children: nothing from the caller's shell leaks into the config. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

/** Applies the migrations with the project's own code (scripts/migrate.ts deploy). */
export async function migrate(runner: Runner, databaseUrl: string): Promise<string> {
  const output = await runToCompletion('migrate', NODE, [...runnerArgs(runner), 'scripts/migrate.ts', 'deploy'], {
    ...baseEnv(),
    DATABASE_URL: databaseUrl,
  });
  return output.trim();
}

/** An active admin through the project's create-admin script (argon2 hash by src/lib/password.ts). */
export async function createUser(runner: Runner, databaseUrl: string, email: string, password: string): Promise<void> {
  await runToCompletion('create-admin', NODE, [...runnerArgs(runner), 'scripts/create-admin.ts', '--email', email, '--password', password], {
    ...baseEnv(),
    DATABASE_URL: databaseUrl,
  });
}

// ── SMTP sink ───────────────────────────────────────────────────────────────────────────────

/** What bench/smtp-sink.ts has received: arrival times (epoch ms) and first recipients, in order. */
export interface SinkStats {
  count: number;
  arrivals: number[];
  recipients: string[];
  withMessageId: number;
  repeated: string[];
}

export interface SmtpSink {
  child: Child;
  smtpPort: number;
  /** What arrived so far; `reset` forgets it afterwards. */
  stats(reset?: boolean): Promise<SinkStats>;
}

/** Starts bench/smtp-sink.ts on loopback ports of its choosing. */
export async function startSmtpSink(runner: Runner, env: NodeJS.ProcessEnv): Promise<SmtpSink> {
  const child = spawnChild('smtp-sink', NODE, [...runnerArgs(runner), path.join(benchDir, 'smtp-sink.ts')], { env, cwd: benchDir });
  const ports = JSON.parse(await waitForOutput(child, (line) => line.startsWith('{"smtpPort"'))) as { smtpPort: number; httpPort: number };
  const base = `http://127.0.0.1:${ports.httpPort}`;
  return {
    child,
    smtpPort: ports.smtpPort,
    async stats(reset = false) {
      const response = await fetch(`${base}/${reset ? 'reset' : 'stats'}`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as SinkStats;
    },
  };
}

/**
 * Starts a stand-alone worker (`node src/worker.ts`, production mode, its mail going to `sink`)
 * and waits until it processes jobs. `env` holds at least DATABASE_URL and SECRET_KEY.
 */
export async function startWorker(name: string, runner: Runner, env: NodeJS.ProcessEnv, sink: SmtpSink, nodeFlags: string[] = []): Promise<Child> {
  const child = spawnChild(name, NODE, [...nodeFlags, ...runnerArgs(runner), 'src/worker.ts'], {
    env: {
      ...env,
      NODE_ENV: 'production',
      PUBLIC_URL: 'http://127.0.0.1:1',
      EMAIL_HOST: '127.0.0.1',
      EMAIL_PORT: String(sink.smtpPort),
      EMAIL_FROM: 'Clinic Bench <no-reply@bench.test>',
      // Production wants /metrics guarded; the benchmarks never scrape it.
      METRICS_TOKEN: newSecretKey(),
      LOG_LEVEL: 'info', // the start-up line below is at info
    },
  });
  await waitForOutput(child, (line) => line.includes('worker processing jobs'));
  return child;
}

// ── Servers ─────────────────────────────────────────────────────────────────────────────────

export interface ServerSettings {
  runner: Runner;
  databaseUrl: string;
  secretKey: string;
  /** A closed port: the worker is off, so nothing is sent, but the config needs an SMTP host. */
  emailPort: number;
  /** Run a compiled build instead (`node <root>/dist/src/server.js`, cwd `root`), as the Docker image does. */
  build?: { root: string };
  /** A fixed port, so that an instance restarted after a crash keeps its address; a free one otherwise. */
  port?: number;
  /** More environment (REDIS_URL...), over the defaults. */
  env?: NodeJS.ProcessEnv;
}

export function newSecretKey(): string {
  return randomBytes(36).toString('base64url');
}

export interface Server {
  child: Child;
  base: string;
  port: number;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
}

/**
 * The API's node flags in production (the image's CMD, the Kubernetes command, `npm start`):
 * every benchmark runs the API with them; flags given to `spawnServer` come after and win.
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** Spawns `node src/server.ts` in production mode on a free loopback port (does not wait). */
export async function spawnServer(settings: ServerSettings, extraNodeArgs: string[] = [], name = 'api'): Promise<Server> {
  const port = settings.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: settings.databaseUrl,
    SECRET_KEY: settings.secretKey,
    RATE_LIMIT_ENABLED: 'false',
    EMAIL_HOST: '127.0.0.1',
    EMAIL_PORT: String(settings.emailPort),
    PUBLIC_URL: base,
    // Production needs /metrics guarded; the benchmarks never scrape it.
    METRICS_TOKEN: newSecretKey(),
    WORKER_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    ...settings.env,
  };
  const spawnedAt = performance.now();
  const child = settings.build
    ? spawnChild(name, NODE, [...API_NODE_FLAGS, ...extraNodeArgs, 'dist/src/server.js'], { env, cwd: settings.build.root })
    : spawnChild(name, NODE, [...API_NODE_FLAGS, ...extraNodeArgs, ...runnerArgs(settings.runner), 'src/server.ts'], { env });
  return { child, base, port, spawnedAt };
}

/**
 * The production build of the app (`tsc -p tsconfig.build.json`, then scripts/bundle.mjs, as `npm run build` and the Docker
 * image) in a directory of its own, with the app's node_modules, prisma/ and package.json beside it.
 */
export async function buildApp(dir: string): Promise<{ root: string }> {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawnChild('tsc', NODE, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'dist')], { env: baseEnv() });
  await child.exited; // type errors elsewhere in a half-edited tree do not stop tsc from emitting
  if (!existsSync(path.join(dir, 'dist', 'src', 'server.js'))) throw new Error(`tsc wrote no dist/src/server.js:\n${child.output()}`);
  const bundle = spawnChild('bundle', NODE, [path.join(repoRoot, 'scripts', 'bundle.mjs'), '--outdir', path.join(dir, 'dist')], { env: baseEnv() });
  if ((await bundle.exited) !== 0) throw new Error(`scripts/bundle.mjs failed:\n${bundle.output()}`);
  // As in the image: node_modules, and prisma/ (migrations; lib/migrations.ts finds the root by it).
  symlinkSync(path.join(appRoot, 'node_modules'), path.join(dir, 'node_modules'));
  symlinkSync(path.join(appRoot, 'prisma'), path.join(dir, 'prisma'));
  copyFileSync(path.join(appRoot, 'package.json'), path.join(dir, 'package.json'));
  return { root: dir };
}

/** Spawns a reference server (bench/ref-*.ts) on a free loopback port and waits until `readyPath` answers. */
export async function startReference(
  file: 'ref-bare.ts' | 'ref-pg.ts' | 'ref-pg-directory.ts',
  runner: Runner,
  readyPath: string,
  extraEnv: NodeJS.ProcessEnv = {},
  readyStatus = 200,
  extraNodeArgs: string[] = [],
): Promise<Server> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawnChild(file.replace('.ts', ''), NODE, [...extraNodeArgs, ...runnerArgs(runner), path.join(benchDir, file)], {
    env: { ...baseEnv(), NODE_ENV: 'production', PORT: String(port), ...extraEnv },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}${readyPath}`, { child, status: readyStatus, timeoutMs: 60_000 });
  return { child, base, port, spawnedAt };
}

/**
 * Logs in over HTTP; returns the access token. A 503 (the server sheds load while the machine is
 * busy, e.g. just after start) is retried after its Retry-After, a few times.
 */
export async function login(base: string, email: string, password: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(`${base}/v1/api/user/login/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { access?: string };
    if (response.status === 503 && attempt < 5) {
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    if (response.status !== 200 || !body.access) throw new Error(`login answered ${response.status}: ${JSON.stringify(body)}`);
    return body.access;
  }
}

// ── Load generation ─────────────────────────────────────────────────────────────────────────

export interface LoadSpec {
  url: string;
  durationSeconds: number;
  connections: number;
  threads: number;
  method?: 'GET' | 'POST';
  body?: string;
  token?: string;
  /** Requests cycled through by every connection; `url` then only supplies the host. */
  mix?: { method: 'GET' | 'POST'; path: string; auth: boolean; body?: string }[];
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses with a status ≥ 400 (wrk's "Non-2xx or 3xx"; autocannon's non2xx). */
  non2xx: number;
  /** Socket errors and timeouts. */
  socketErrors: number;
}

export type LoadGenerator = 'wrk' | 'autocannon';

export function detectLoadGenerator(preferred?: string): LoadGenerator {
  const hasWrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
  const autocannonBin = path.join(repoRoot, 'node_modules', '.bin', 'autocannon');
  if (preferred === 'autocannon' || !hasWrk) {
    if (!existsSync(autocannonBin)) throw new Error('neither wrk nor node_modules/.bin/autocannon is available');
    return 'autocannon';
  }
  return 'wrk';
}

interface WrkJson {
  requests: number;
  durationUs: number;
  statusErrors: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const connections = Math.max(spec.connections, spec.threads);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    BENCH_METHOD: spec.method ?? 'GET',
    BENCH_BODY: spec.body ?? '',
    BENCH_TOKEN: spec.token ?? '',
    BENCH_MIX: (spec.mix ?? []).map((entry) => [entry.method, entry.path, entry.auth ? '1' : '0', entry.body ?? ''].join('\t')).join('\n'),
  };
  const args = ['-t', String(spec.threads), '-c', String(connections), '-d', `${spec.durationSeconds}s`, '--timeout', '10s', '-s', path.join(benchDir, 'wrk.lua'), spec.url];
  const output = await runToCompletion('wrk', 'wrk', args, env, (spec.durationSeconds + 30) * 1000);
  const line = output.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no BENCH_JSON line:\n${output}`);
  const data = JSON.parse(line.slice('BENCH_JSON '.length)) as WrkJson;
  const seconds = data.durationUs / 1e6;
  return {
    requests: data.requests,
    durationSeconds: round2(seconds),
    rps: Math.round(data.requests / seconds),
    p50Ms: round2(data.p50Us / 1000),
    p99Ms: round2(data.p99Us / 1000),
    non2xx: data.statusErrors,
    socketErrors: data.connectErrors + data.readErrors + data.writeErrors + data.timeouts,
  };
}

interface AutocannonJson {
  requests: { total: number };
  duration: number;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function runAutocannonOnce(
  url: string,
  spec: Pick<LoadSpec, 'durationSeconds' | 'connections' | 'method' | 'body' | 'token'>,
): Promise<AutocannonJson> {
  const args = ['--json', '-c', String(spec.connections), '-d', String(spec.durationSeconds), '-t', '10', '-m', spec.method ?? 'GET'];
  if (spec.body) args.push('-H', 'content-type=application/json', '-b', spec.body);
  if (spec.token) args.push('-H', `authorization=Bearer ${spec.token}`);
  args.push(url);
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'autocannon');
  const output = await runToCompletion('autocannon', bin, args, { PATH: process.env.PATH, HOME: process.env.HOME }, (spec.durationSeconds + 30) * 1000);
  const start = output.indexOf('{"');
  if (start < 0) throw new Error(`autocannon printed no JSON:\n${output}`);
  return JSON.parse(output.slice(start, output.lastIndexOf('}') + 1)) as AutocannonJson;
}

/** autocannon (as child processes); a mix runs one child per entry, connections split between them. */
async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const origin = new URL(spec.url).origin;
  const parts = spec.mix
    ? spec.mix.map((entry) => ({
        url: `${origin}${entry.path}`,
        method: entry.method,
        body: entry.body,
        token: entry.auth ? spec.token : undefined,
        connections: Math.max(1, Math.floor(spec.connections / spec.mix!.length)),
      }))
    : [{ url: spec.url, method: spec.method, body: spec.body, token: spec.token, connections: spec.connections }];
  const results = await Promise.all(parts.map((part) => runAutocannonOnce(part.url, { ...part, durationSeconds: spec.durationSeconds })));
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0);
  const weighted = (pick: (r: AutocannonJson) => number) =>
    results.reduce((sum, r) => sum + pick(r) * r.requests.total, 0) / Math.max(1, requests);
  const seconds = Math.max(...results.map((r) => r.duration));
  return {
    requests,
    durationSeconds: round2(seconds),
    rps: Math.round(requests / seconds),
    // Several children: a request-weighted mean of their percentiles (an approximation).
    p50Ms: round2(weighted((r) => r.latency.p50)),
    p99Ms: round2(weighted((r) => r.latency.p99)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    socketErrors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
  };
}

export function runLoad(generator: LoadGenerator, spec: LoadSpec): Promise<LoadResult> {
  return generator === 'wrk' ? runWrk(spec) : runAutocannon(spec);
}

export { round1, round2, sleep };

/** The Redis of the cached scenarios (the read cache shared by instances lives there). */
export const benchRedisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
