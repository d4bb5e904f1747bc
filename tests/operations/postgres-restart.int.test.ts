// PostgreSQL restarted under write load, on a private cluster this test starts itself: while it
// is down, ready answers 503 and requests get 503 problem+json (never 500, never SQL, never a
// hang); ready is 200 again within 10 s of its return; every write acknowledged with a 2xx is in
// the database afterwards; the worker drains the registrations queued meanwhile without a stall.
import { createDecipheriv } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/environment.ts';
import { deriveKey } from '../../src/lib/keys.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { withPgClient } from '../../src/lib/pg.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { type Actor, loginAs, randomEmail, randomPassword } from '../helpers/actors.ts';
import { call } from '../helpers/scheduling.ts';

/** A request that takes longer than this counts as a hang. */
const HANG_MS = 15_000;
const WRITERS = { register: 3, booking: 3 };
const DOWN_MS = 3_000;
/** Longer than the test's retry delay (2 s) and polling interval (0.5 s) together, several times over. */
const STALL_MS = 10_000;

interface Outcome {
  kind: 'register' | 'booking';
  status: number;
  /** The email registered, or the appointment id booked (2xx only). */
  key?: string;
  body: string;
  contentType: string | undefined;
  at: number;
}

/** The registration jobs in the database, decrypted (lib/jobs.ts: AES-256-GCM, the queue name as AAD). */
async function jobsOf(url: string, secretKey: string): Promise<{ state: string; email: string }[]> {
  const key = deriveKey(secretKey, 'mail-payload');
  const rows = await withPgClient(url, async (client) =>
    (await client.query<{ state: string; data: { iv: string; data: string; tag: string } }>(
      "SELECT state::text AS state, data FROM pgboss.job WHERE name = 'accounts.registration'",
    )).rows,
  );
  return rows.map((row) => {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(row.data.iv, 'base64'));
    decipher.setAAD(Buffer.from('accounts.registration'));
    decipher.setAuthTag(Buffer.from(row.data.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(row.data.data, 'base64')), decipher.final()]).toString('utf8');
    return { state: row.state, email: (JSON.parse(text) as { email: string }).email };
  });
}

/**
 * Waits until `waiting` counts none, failing only when no job got done for STALL_MS: a worker that
 * did not resume (or waits out a long poll) stalls, while a slow machine merely goes slowly.
 */
async function drained(waiting: () => Promise<number>): Promise<void> {
  let fewest = Number.POSITIVE_INFINITY;
  let progressAt = performance.now();
  for (;;) {
    const count = await waiting();
    if (count === 0) return;
    if (count < fewest) {
      fewest = count;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > STALL_MS) {
      throw new Error(`${count} registration jobs still waiting, and none done for ${STALL_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function withTimeout(promise: Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`request hung for ${HANG_MS} ms`)), HANG_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

describeWith(postgresBinDir() !== undefined, "PostgreSQL's server binaries (initdb, pg_ctl)")('PostgreSQL restarted under write load', () => {
  let cluster: PrivatePostgres;
  let t: TestApp;
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    await applyMigrations(cluster.url);
    // A registration is acknowledged once its job is queued; the worker creates the account.
    // Short retries, so jobs a worker failed on during the outage run again soon after it.
    const quickRetry = { limit: 10, delaySeconds: 1, maxDelaySeconds: 2 };
    t = await buildTestApp({
      databaseUrl: cluster.url,
      overrides: { jobOptions: { pollingIntervalSeconds: 0.5, retryOverrides: { 'accounts.registration': quickRetry, mail: quickRetry } } },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close().catch(() => {});
    await cluster?.destroy();
  });

  it('answers 503 while down, recovers within 10 s, and keeps every acknowledged write', { timeout: 120_000 }, async () => {
    const doctor = await loginAs(t, 'doctor');
    const patients: Actor<'patient'>[] = [];
    for (let i = 0; i < WRITERS.booking; i += 1) patients.push(await loginAs(t, 'patient'));

    const outcomes: Outcome[] = [];
    let stopping = false;
    let slot = 0;
    // Walk-ins a doctor records: one hour apart, so none overlaps another.
    const base = Date.UTC(2020, 0, 6, 0, 0, 0);

    async function record(kind: Outcome['kind'], request: () => Promise<LightMyRequestResponse>, keyOf: (response: LightMyRequestResponse) => string) {
      const response = await withTimeout(request());
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      outcomes.push({
        kind,
        status: response.statusCode,
        body: response.body,
        contentType: response.headers['content-type'],
        at: performance.now(),
        ...(ok ? { key: keyOf(response) } : {}),
      });
      // Back off a little after a refusal, as a client honouring Retry-After would (not 5 s here).
      if (!ok) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    async function registerWriter() {
      while (!stopping) {
        const email = randomEmail('restart');
        await record('register', () => call(t.app, 'POST', 'user/register/', { payload: { email, password: randomPassword() } }), () => email);
      }
    }
    async function bookingWriter(patient: Actor<'patient'>) {
      while (!stopping) {
        const startsAt = new Date(base + (slot += 1) * 3_600_000).toISOString();
        await record(
          'booking',
          () => call(t.app, 'POST', 'appointment/doctor/', { headers: doctor.headers, payload: { patientId: patient.profileId, startsAt, reason: 'Walk-in' } }),
          (response) => response.json<{ id: string }>().id,
        );
      }
    }

    const writers = [
      ...Array.from({ length: WRITERS.register }, () => registerWriter()),
      ...patients.map((patient) => bookingWriter(patient)),
    ];
    const ready = () => withTimeout(t.app.inject({ url: '/health/ready' }));

    await new Promise((resolve) => setTimeout(resolve, 1500));
    await cluster.stop();
    const downAt = performance.now();
    const readyWhileDown = await ready();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await cluster.start();
    const upAt = performance.now();
    let recoveredAt: number | undefined;
    while (performance.now() - upAt < 10_000) {
      if ((await ready()).statusCode === 200) {
        recoveredAt = performance.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stopping = true;
    await Promise.all(writers);

    // Ready: 503 problem+json while down, 200 within 10 s of the server's return.
    expect(readyWhileDown.statusCode).toBe(503);
    expect(readyWhileDown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(recoveredAt, 'ready did not answer 200 within 10 s').toBeDefined();
    const recoveryMs = recoveredAt! - upAt;

    // Refusals: only 503 problem+json with Retry-After, saying nothing about the database's insides.
    const refused = outcomes.filter((outcome) => outcome.status < 200 || outcome.status >= 300);
    const duringOutage = refused.filter((outcome) => outcome.at >= downAt && outcome.at <= upAt);
    expect(duringOutage.length, 'no request was refused while the database was down').toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.status, outcome.body).toBe(503);
      expect(outcome.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(outcome.body)).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(outcome.body).not.toMatch(/prisma|postgres|ECONNREFUSED|SELECT|INSERT|127\.0\.0\.1|P10\d\d/i);
    }
    expect(t.logs.join('\n')).not.toMatch(/"unhandled error"/);

    // Every acknowledged write is there.
    const registered = outcomes.filter((outcome) => outcome.kind === 'register' && outcome.key).map((outcome) => outcome.key!);
    const booked = outcomes.filter((outcome) => outcome.kind === 'booking' && outcome.key).map((outcome) => outcome.key!);
    const after = outcomes.filter((outcome) => outcome.key && outcome.at > upAt);
    expect(after.length, 'no write succeeded after the restart').toBeGreaterThan(0);
    const count = () =>
      withPgClient(cluster.url, async (client) => ({
        users: (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE email = ANY($1::text[])', [registered])).rows[0]!.n,
        appointments: (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM appointments WHERE id = ANY($1::uuid[])', [booked])).rows[0]!.n,
      }));
    // Bookings are rows at once.
    expect((await count()).appointments).toBe(booked.length);
    // A registration is its queued job until the worker creates the account. The worker is back at
    // full speed: the jobs queued during the test drain without a pause, however long a busy machine
    // makes each one take. A job whose worker lost the database mid-run stays `active` until pg-boss
    // expires it (expireInSeconds) and runs it again, so it is looked for as a job.
    await drained(async () => (await jobsOf(cluster.url, t.config.secretKey)).filter((job) => job.state === 'created' || job.state === 'retry').length);
    const { users } = await count();
    const jobs = await jobsOf(cluster.url, t.config.secretKey);
    const existing = new Set(
      await withPgClient(cluster.url, async (client) =>
        (await client.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1::text[])', [registered])).rows.map((row) => row.email),
      ),
    );
    const pending = registered.filter((email) => !existing.has(email));
    for (const email of pending) {
      expect(jobs.find((job) => job.email === email)?.state, `acknowledged registration of ${email} lost`).toBe('active');
    }

    console.info(
      `PostgreSQL restart: down ${Math.round(upAt - downAt)} ms; ready again ${Math.round(recoveryMs)} ms after the server returned; ` +
        `${registered.length + booked.length} acknowledged writes checked (${registered.length} registrations: ${users} accounts + ${pending.length} ` +
        `jobs awaiting pg-boss expiry after their worker lost the database; ${booked.length} bookings), ` +
        `${refused.length} refused with 503, ${outcomes.length} requests in all`,
    );
  });
});
