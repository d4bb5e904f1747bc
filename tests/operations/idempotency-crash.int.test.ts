// Crash safety of Idempotency-Key (issue "Crash safety", item 1): an API process SIGKILLed right
// after its booking committed, and one killed while its booking's transaction was still open.
// The retry with the same key answers the first booking's 201 in the first case and books
// normally in the second; never two appointments, never a key that blocks.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { type Actor, loginAs } from '../helpers/actors.ts';
import { addDailyWindows, localDate } from '../helpers/scheduling.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const t = useTestApp();
let doctor: Actor<'doctor'>;
let patient: Actor<'patient'>;

interface ApiProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts the real API in a child process on the test database, with the test app's secret (tokens work on both). */
async function startApi(env: Record<string, string> = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, [path.join(root, 'tests/operations/fixtures/crashing-api.ts')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: t.config.database.url,
      SECRET_KEY: t.config.secretKey,
      DATABASE_POOL_SIZE: '3',
      RATE_LIMIT_ENABLED: 'false',
      WORKER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then((how) => reject(new Error(`the API process ended before listening (${String(how)})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, exited };
}

function book(api: ApiProcess, body: object, key: string) {
  return fetch(`${api.url}/v1/api/appointment/patient/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...patient.headers },
    body: JSON.stringify(body),
  });
}

const appointmentsOf = () => t.db.appointment.count({ where: { patientId: patient.profileId } });

async function freeSlot(days: number): Promise<string> {
  const response = await t.app.inject({
    url: `/v1/api/doctor/available-times-patient/?doctorId=${doctor.profileId}&from=${localDate(days)}&to=${localDate(days)}`,
    headers: patient.headers,
  });
  return response.json<{ startsAt: string }[]>()[0]!.startsAt;
}

beforeAll(async () => {
  [doctor, patient] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'patient')]);
  await addDailyWindows(t.db, doctor.profileId, '08:00', '18:00', 30);
});

describe('an API process killed around its booking’s commit', () => {
  const running: ApiProcess[] = [];
  afterAll(() => {
    for (const api of running) api.child.kill('SIGKILL');
  });

  it('killed after the commit, before the answer: the retry answers the first booking’s 201', async () => {
    const body = { doctorId: doctor.profileId, startsAt: await freeSlot(3), reason: 'crash after commit' };
    const key = `crash-${randomUUID()}`;
    const before = await appointmentsOf();

    const crashing = await startApi({ CRASH_AFTER_COMMIT: '/v1/api/appointment/patient' });
    running.push(crashing);
    await expect(book(crashing, body, key)).rejects.toThrow();
    expect(await crashing.exited).toBe('SIGKILL');
    expect(await appointmentsOf()).toBe(before + 1);

    const restarted = await startApi();
    running.push(restarted);
    const retry = await book(restarted, body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const appointment = await retry.json() as { id: string; reason: string };
    expect(appointment.reason).toBe('crash after commit');
    const stored = await t.db.appointment.findMany({ where: { patientId: patient.profileId, reason: 'crash after commit' }, select: { id: true } });
    expect(stored).toEqual([{ id: appointment.id }]);
    expect(await appointmentsOf()).toBe(before + 1);
    restarted.child.kill('SIGTERM');
  }, 60_000);

  it('killed inside the booking’s transaction: nothing was kept and the retry books normally', async () => {
    const body = { doctorId: doctor.profileId, startsAt: await freeSlot(4), reason: 'crash before commit' };
    const key = `crash-${randomUUID()}`;
    const before = await appointmentsOf();

    // Hold the doctor's calendar lock on a connection of our own: the booking's transaction
    // (which has taken the key's lock already) waits on it, open, until the process dies.
    const blocker = new pg.Client({ connectionString: t.config.database.url });
    await blocker.connect();
    try {
      await blocker.query(`SELECT pg_advisory_lock(hashtext($1))`, [`appointments:${doctor.profileId}`]);
      const crashing = await startApi();
      running.push(crashing);
      const pending = book(crashing, body, key).catch((error: unknown) => error);
      const waiting = async () => {
        const { rows } = await blocker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return rows[0]!.n > 0;
      };
      await expect.poll(waiting, { timeout: 20_000, interval: 100 }).toBe(true);
      crashing.child.kill('SIGKILL');
      expect(await crashing.exited).toBe('SIGKILL');
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await blocker.end();
    }
    expect(await appointmentsOf()).toBe(before);
    expect(await t.db.idempotencyKey.count({ where: { key } })).toBe(0);

    const restarted = await startApi();
    running.push(restarted);
    const retry = await book(restarted, body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await appointmentsOf()).toBe(before + 1);
    restarted.child.kill('SIGTERM');
  }, 60_000);
});
