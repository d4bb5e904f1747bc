// `npm run bench:enumeration`: the routes whose answer must not tell which emails exist, timed for
// a known and an unknown email side by side (sequential requests, alternating, production mode).
// Both paths do the same work by construction (tests count it); this shows what a client sees.
import { randomUUID } from 'node:crypto';
import {
  createBenchDatabase,
  createUser,
  detectRunner,
  freePort,
  installCleanup,
  migrate,
  newSecretKey,
  round2,
  spawnServer,
  stopAll,
  waitForStatus,
} from './lib.ts';

const SAMPLES = Number(process.argv.find((arg) => arg.startsWith('--samples='))?.split('=')[1] ?? 30);
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function timed(base: string, path: string, body: object): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/v1/api/user/${path}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return performance.now() - started;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const database = await createBenchDatabase(adminUrl);
installCleanup(async () => {
  await stopAll();
  await database.drop();
});
const { runner } = detectRunner();
await migrate(runner, database.url);
const known = { email: `known-${randomUUID()}@example.com`, password: `Pw-${randomUUID()}` };
await createUser(runner, database.url, known.email, known.password);
const server = await spawnServer({ runner, databaseUrl: database.url, secretKey: newSecretKey(), emailPort: await freePort() });
await waitForStatus(`${server.base}/health/ready`, { child: server.child, status: 200, timeoutMs: 60_000 });

const routes: { name: string; path: string; body: (email: string) => object }[] = [
  { name: 'register', path: 'register', body: (email) => ({ email, password: `Pw-${randomUUID()}` }) },
  { name: 'forget-password', path: 'forget-password', body: (email) => ({ email }) },
  { name: 'forget-password/confirm', path: 'forget-password/confirm', body: (email) => ({ email, otp: '123456', newPassword: `Pw-${randomUUID()}` }) },
];

const rows = [];
for (const route of routes) {
  const forKnown: number[] = [];
  const forUnknown: number[] = [];
  // One warm-up pair, then alternate so a change in the machine's load hits both sides.
  await timed(server.base, route.path, route.body(known.email));
  await timed(server.base, route.path, route.body(`ghost-${randomUUID()}@example.com`));
  for (let i = 0; i < SAMPLES; i++) {
    // Which side goes first alternates too: the second request of a pair may find warmer caches.
    const knownFirst = i % 2 === 0;
    if (knownFirst) forKnown.push(await timed(server.base, route.path, route.body(known.email)));
    forUnknown.push(await timed(server.base, route.path, route.body(`ghost-${randomUUID()}@example.com`)));
    if (!knownFirst) forKnown.push(await timed(server.base, route.path, route.body(known.email)));
  }
  rows.push({
    route: route.name,
    'known p50 ms': round2(median(forKnown)),
    'unknown p50 ms': round2(median(forUnknown)),
    'known / unknown': round2(median(forKnown) / median(forUnknown)),
  });
}
console.log(`Enumeration-sensitive routes, ${SAMPLES} sequential samples each (production mode, same run):`);
console.table(rows);
await stopAll();
await database.drop();
