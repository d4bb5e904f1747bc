// `tsx bench/profile.ts [--path /health/live] [--auth] [--seconds 10] [--target api|bare] [--seed] [--redis URL] [--node-flags F]`: CPU profile of the API
// server (production mode, own process, `node --cpu-prof`) under wrk load on one route, then a
// summary of self time by function and by package, counted only over the samples taken while
// the load ran. The .cpuprofile stays in bench/profiles/ (open it in Chrome DevTools).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  benchDir,
  createBenchDatabase,
  createUser,
  detectLoadGenerator,
  detectRunner,
  freePort,
  getAppRoot,
  installCleanup,
  login,
  migrate,
  newSecretKey,
  runLoad,
  setAppRoot,
  spawnServer,
  startReference,
  runMain,
  stopChild,
  waitForStatus,
  type BenchDatabase,
  type Server,
} from './lib.ts';
import { seedDirectory } from './seed.ts';

const { values: flags } = parseArgs({
  options: {
    path: { type: 'string' },
    /** `bare`: profile the bare Fastify reference (GET /ping) instead, to compare per-request costs. */
    target: { type: 'string', default: 'api' },
    method: { type: 'string', default: 'GET' },
    auth: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    top: { type: 'string', default: '30' },
    'app-root': { type: 'string' },
    /** Seed the directory (1,000 doctors, 100,000 patients), e.g. for `--path '/v1/api/doctor/list/?pageSize=50'`. */
    seed: { type: 'boolean', default: false },
    /** Give the API this Redis (`REDIS_URL`): the read cache and rate limits shared there. */
    redis: { type: 'string' },
    /** Extra node flags for the API process, e.g. "--max-semi-space-size=8" (space-separated). */
    'node-flags': { type: 'string', default: '' },
  },
});

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package (or project file, or V8 pseudo-frame) a frame belongs to. */
export function packageOf(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8 builtins)';
  if (url.startsWith('node:')) return 'node: core';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const marker = file.lastIndexOf('/node_modules/');
  if (marker >= 0) {
    const rest = file.slice(marker + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (file.startsWith(root)) return path.relative(root, file);
  return file;
}

interface Summary {
  totalMs: number;
  samples: number;
  byPackageSelf: { name: string; ms: number; pct: number }[];
  byPackageInclusive: { name: string; ms: number; pct: number }[];
  topFunctionsSelf: { fn: string; where: string; pkg: string; ms: number; pct: number }[];
}

/** Self time per function and per package, and inclusive time per package, within [from, to] (µs, profile clock). */
export function summarise(profile: CpuProfile, root: string, window?: { from: number; to: number }, top = 30): Summary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfByNode = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  let samples = 0;
  const inclusive = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    t += profile.timeDeltas[i] ?? 0;
    const delta = profile.timeDeltas[i + 1] ?? 0; // the time until the next sample is this sample's
    if (window && (t < window.from || t > window.to)) continue;
    const id = profile.samples[i]!;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
    total += delta;
    samples += 1;
    const seen = new Set<string>();
    for (let cursor: number | undefined = id, guard = 0; cursor !== undefined && guard < 10_000; cursor = parent.get(cursor), guard += 1) {
      const node = byId.get(cursor);
      if (node && node.callFrame.functionName !== '(root)') seen.add(packageOf(node.callFrame, root));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
  }
  const byFunction = new Map<string, { fn: string; where: string; pkg: string; us: number }>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const frame = byId.get(id)!.callFrame;
    const pkg = packageOf(frame, root);
    const file = frame.url ? frame.url.replace(/^file:\/\//, '').split('/node_modules/').pop()!.replace(`${root}/`, '') : '';
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}|${where}`;
    const entry = byFunction.get(key) ?? { fn: frame.functionName || '(anonymous)', where, pkg, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / Math.max(1, total)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const sorted = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: ms(us), pct: pct(us) }));
  return {
    totalMs: ms(total),
    samples,
    byPackageSelf: sorted(byPackage),
    byPackageInclusive: sorted(inclusive).slice(0, 40),
    topFunctionsSelf: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ us, ...rest }) => ({ ...rest, ms: ms(us), pct: pct(us) })),
  };
}

let database: BenchDatabase | undefined;
installCleanup(async () => {
  await database?.drop().catch(() => undefined);
});

async function main(): Promise<void> {
  if (flags['app-root']) setAppRoot(flags['app-root']);
  const seconds = Number(flags.seconds);
  const connections = Number(flags.connections);
  if (!(seconds > 0 && seconds <= 600 && connections > 0 && connections <= 1000)) throw new Error('bad --seconds or --connections');
  const generator = detectLoadGenerator('wrk');
  const { runner } = detectRunner();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  database = await createBenchDatabase(adminUrl);
  await migrate(runner, database.url);
  const email = `profile-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(12).toString('base64url')}-7q!`;
  if (flags.auth) await createUser(runner, database.url, email, password);
  if (flags.seed) await seedDirectory(database.url);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(benchDir, 'profiles', stamp);
  await mkdir(dir, { recursive: true });
  const settings = {
    runner,
    databaseUrl: database.url,
    secretKey: newSecretKey(),
    emailPort: await freePort(),
    ...(flags.redis && { env: { REDIS_URL: flags.redis } }),
  };
  const profileArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...(flags['node-flags'] ?? '').split(' ').filter(Boolean)];
  const bare = flags.target === 'bare';
  const route = flags.path ?? (bare ? '/ping' : '/health/live');
  let server: Server;
  if (bare) {
    server = await startReference('ref-bare.ts', runner, '/ping', {}, 200, profileArgs);
  } else {
    server = await spawnServer(settings, profileArgs, 'api-profiled');
    await waitForStatus(`${server.base}/health/ready`, { child: server.child, since: server.spawnedAt, timeoutMs: 120_000 });
  }
  const token = flags.auth ? await login(server.base, email, password) : undefined;
  const spec = { url: `${server.base}${route}`, connections, threads: 1, method: flags.method === 'POST' ? ('POST' as const) : ('GET' as const), token };
  console.log(`profiling ${flags.target} ${flags.method} ${route}: 2 s warm-up, then ${seconds} s at ${connections} connections (pid ${server.child.pid}, runner ${runner})`);
  await runLoad(generator, { ...spec, durationSeconds: 2 });
  // CLOCK_MONOTONIC, the clock of the profile's timestamps too (Linux): the window of the load.
  const from = Number(process.hrtime.bigint() / 1000n);
  const result = await runLoad(generator, { ...spec, durationSeconds: seconds });
  const to = Number(process.hrtime.bigint() / 1000n);
  console.log(`load: ${result.rps} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}`);
  const exit = await stopChild(server.child, 'SIGINT', 30_000);
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile written (server exit: ${exit}):\n${server.child.output()}`);
  const profile = JSON.parse(await readFile(path.join(dir, files[0]!), 'utf8')) as CpuProfile;
  const inWindow = profile.startTime <= to && profile.endTime >= from;
  const summary = summarise(profile, getAppRoot(), inWindow ? { from, to } : undefined, Number(flags.top));
  if (!inWindow) console.log('(the profile clock did not match the load window: all samples counted)');

  console.log(`\n${summary.samples} samples, ${summary.totalMs} ms of the load window\n\nSelf time by package:`);
  for (const row of summary.byPackageSelf.slice(0, 25)) console.log(`  ${row.pct.toFixed(1).padStart(5)}%  ${String(row.ms).padStart(8)} ms  ${row.name}`);
  console.log('\nInclusive time by package (share of samples with the package on the stack):');
  for (const row of summary.byPackageInclusive.slice(0, 25)) console.log(`  ${row.pct.toFixed(1).padStart(5)}%  ${row.name}`);
  console.log('\nTop functions by self time:');
  for (const row of summary.topFunctionsSelf) console.log(`  ${row.pct.toFixed(1).padStart(5)}%  ${row.fn}  [${row.pkg}]  ${row.where}`);
  const out = path.join(benchDir, 'results', `profile-${flags.target}${route.replace(/[^a-z0-9]+/gi, '-')}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), target: flags.target, route, runner, load: result, profile: path.join(dir, files[0]!), ...summary }, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), out)} (profile: ${path.relative(process.cwd(), path.join(dir, files[0]!))})`);
}

await runMain(main, () => database);
