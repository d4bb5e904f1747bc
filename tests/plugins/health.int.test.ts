// Health probes: live always answers; ready answers 503 problem+json while the database is
// unreachable or lacks a shipped migration.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { withPgClient } from '../../src/lib/pg.ts';

describe('health', () => {
  let ctx: TestApp;
  beforeAll(async () => {
    ctx = await buildTestApp();
  });
  afterAll(() => ctx.close());

  it('answers live and ready with 200', async () => {
    // The pool's first connection can take longer than ready's 2 s budget on a busy machine.
    await ctx.app.deps.db.$queryRaw`SELECT 1`;
    for (const url of ['/health/live', '/health/ready', '/health/ready/']) {
      const response = await ctx.app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    }
  });

  it('checks readiness through the pool, never through the Prisma client (probes are frequent; see health.ts)', async () => {
    const db = ctx.app.deps.db;
    const raw = vi.spyOn(db, '$queryRaw');
    const rawUnsafe = vi.spyOn(db, '$queryRawUnsafe');
    try {
      expect((await ctx.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      expect(raw).not.toHaveBeenCalled();
      expect(rawUnsafe).not.toHaveBeenCalled();
    } finally {
      raw.mockRestore();
      rawUnsafe.mockRestore();
    }
  });
});

describe('health under the global rate limit', () => {
  it('never rate-limits the probes', async () => {
    const ctx = await buildTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 320; i += 1) {
        statuses.add((await ctx.app.inject({ url: i % 2 ? '/health/live' : '/health/ready' })).statusCode);
      }
      expect([...statuses]).toEqual([200]);
      const limited = await ctx.app.inject({ method: 'POST', url: '/v1/api/user/token/verify/', payload: { token: 'x' } });
      expect(limited.headers['x-ratelimit-limit']).toBe('300');
    } finally {
      await ctx.close();
    }
  });
});

describe('health while the database is down', () => {
  it('answers ready with 503 problem+json, and live with 200', async () => {
    const database = await createTestDatabase();
    const target = new URL(database.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const ctx = await buildTestApp({ databaseUrl: proxied.toString() });
    try {
      expect((await ctx.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      await proxy.cut();
      const ready = await ctx.app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ready.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(ready.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
      expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await ctx.close().catch(() => {});
      await database.drop();
    }
  });
});

describe('health on a database that lacks a shipped migration', () => {
  it('answers ready with 503 problem+json without SQL, and logs the fix', async () => {
    const database = await createTestDatabase();
    // As when a release ships a migration that nobody applied: the newest one is not recorded.
    const newest = await withPgClient(database.url, async (client) => {
      const { rows } = await client.query<{ migration_name: string }>(
        'DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations) RETURNING migration_name',
      );
      return rows[0]!.migration_name;
    });
    const ctx = await buildTestApp({ databaseUrl: database.url });
    try {
      const ready = await ctx.app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ready.json()).toMatchObject({ status: 503, code: 'service_unavailable', detail: 'The database is not migrated.' });
      expect(ready.body).not.toMatch(/_prisma_migrations|SELECT/);
      expect(ctx.logs.join('\n')).toContain(`1 pending migration(s) (${newest}). Run \`npm run db:migrate\``);
      expect((await ctx.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await ctx.close();
      await database.drop();
    }
  });
});
