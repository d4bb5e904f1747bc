// `npm run bench`: load benchmarks against a fresh database, reported next to a bare Fastify
// reference measured in the same run (absolute numbers drift between runs on shared machines).
// Needs BENCH_DATABASE_URL (or TEST_DATABASE_URL): an admin URL of a server that may create databases.
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { applyMigrations } from '../src/lib/migrations.ts';
import { withDatabaseName, withPgClient } from '../src/lib/pg.ts';

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  console.error('Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin PostgreSQL URL.');
  process.exit(1);
}

const DURATION_SECONDS = 5;

async function throughput(url: string, options: Partial<autocannon.Options> = {}): Promise<number> {
  const result = await autocannon({ url, connections: 10, duration: DURATION_SECONDS, ...options });
  return result.requests.average;
}

async function medianLatencyMs(count: number, request: () => Promise<Response>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`unexpected status ${response.status}`);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const databaseName = `bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${databaseName}`);
const databaseUrl = withDatabaseName(adminUrl, databaseName);

try {
  await applyMigrations(databaseUrl);
  const config = loadConfig({
    SECRET_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'false',
  });
  const app = await buildApp(config);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  const reference = Fastify();
  reference.get('/ping', async () => ({ status: 'ok' }));
  const referenceBase = await reference.listen({ host: '127.0.0.1', port: 0 });

  const post = (path: string, body: unknown) =>
    fetch(`${base}/v1/api/user/${path}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const password = `Bench-${randomUUID()}`;
  const registerMs = await medianLatencyMs(30, () => post('register', { email: `bench-${randomUUID()}@example.com`, password }));
  const email = `login-${randomUUID()}@example.com`;
  await post('register', { email, password });
  await withPgClient(databaseUrl, (client) => client.query('UPDATE users SET is_active = true WHERE email = $1', [email]));
  const loginMs = await medianLatencyMs(30, () => post('login', { email, password }));

  const referenceRps = await throughput(`${referenceBase}/ping`);
  const liveRps = await throughput(`${base}/health/live`);
  const loginRps = await throughput(`${base}/v1/api/user/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

  console.table([
    { benchmark: 'bare Fastify GET /ping (reference)', 'req/s': Math.round(referenceRps), ratio: 1 },
    { benchmark: 'GET /health/live', 'req/s': Math.round(liveRps), ratio: +(liveRps / referenceRps).toFixed(2) },
    { benchmark: 'POST user/login (argon2id verify)', 'req/s': Math.round(loginRps), ratio: +(loginRps / referenceRps).toFixed(4) },
  ]);
  console.log(`median latency, sequential: register ${registerMs.toFixed(1)} ms, login ${loginMs.toFixed(1)} ms`);

  await reference.close();
  await app.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  await admin.end();
}
