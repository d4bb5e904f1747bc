// Many machines: two API instances (WORKER_ENABLED=false) and one stand-alone worker process
// (`node src/worker.ts`) on one PostgreSQL and one Redis. A session opened on A works on B, rate
// limits are shared, every job is processed once (by the worker only), and no reminder goes
// out twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRedis, TEST_REDIS_URL } from '../helpers/redis.ts';
import { buildTestApp, secretsInLogs, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from '../helpers/mail.ts';
import { drainJobs, waitUntil } from '../helpers/wait.ts';
import { type Actor, createUser, login, loginAs, randomEmail } from '../helpers/actors.ts';
import { call } from '../helpers/scheduling.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');


async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeWithRedis('two API instances and a stand-alone worker', () => {
  let database: TestDatabase;
  let smtp: SmtpTestServer;
  let a: TestApp;
  let b: TestApp;
  let worker: ChildProcess;
  const workerLog: string[] = [];
  const metricsToken = `metrics-${randomBytes(8).toString('hex')}`;
  let workerMetricsPort: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await startSmtpServer();
    // One deployment: the same secret, database and Redis everywhere.
    const env = {
      SECRET_KEY: randomBytes(32).toString('hex'),
      WORKER_ENABLED: 'false',
      RATE_LIMIT_ENABLED: 'true',
      REDIS_URL: TEST_REDIS_URL,
    };
    a = await buildTestApp({ databaseUrl: database.url, env });
    b = await buildTestApp({ databaseUrl: database.url, env });
    workerMetricsPort = await freePort();
    worker = spawn(process.execPath, ['src/worker.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        SECRET_KEY: env.SECRET_KEY,
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '3',
        EMAIL_HOST: '127.0.0.1',
        EMAIL_PORT: String(smtp.port),
        EMAIL_FROM: 'Clinic Test <no-reply@clinic.test>',
        HOST: '127.0.0.1',
        WORKER_METRICS_PORT: String(workerMetricsPort),
        METRICS_TOKEN: metricsToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (chunk: Buffer) => workerLog.push(chunk.toString('utf8')));
    worker.stderr!.on('data', (chunk: Buffer) => workerLog.push(chunk.toString('utf8')));
    await waitUntil('the worker starting', () => workerLog.join('').includes('worker processing jobs'), { timeoutMs: 30_000 });
  }, 90_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await a?.close();
    await b?.close();
    await smtp?.stop();
    await database?.drop();
    // The log canary over the worker process too.
    expect(secretsInLogs(workerLog.join('').split('\n'))).toEqual([]);
  });

  it('a session opened on A works on B, and a refresh on B is refused on A afterwards', async () => {
    const user = await createUser(a.db);
    const tokens = await login(a.app, user);
    const me = await call(b.app, 'GET', 'user/me/', { headers: { authorization: `Bearer ${tokens.access}` } });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json<{ email: string }>().email).toBe(user.email);
    const refreshed = await call(b.app, 'POST', 'user/token/refresh/', { payload: { refresh: tokens.refresh } });
    expect(refreshed.statusCode).toBe(200);
    // The rotated-out refresh token is spent on every instance.
    const replay = await call(a.app, 'POST', 'user/token/refresh/', { payload: { refresh: tokens.refresh } });
    expect(replay.statusCode).toBe(401);
  });

  it('shares rate limits: the 11th login attempt from one IP, across A and B, is 429', async () => {
    const remoteAddress = `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      const app = i % 2 === 0 ? a.app : b.app;
      const response = await app.inject({
        method: 'POST',
        url: '/v1/api/user/login/',
        remoteAddress,
        payload: { email: randomEmail('limited'), password: 'not-the-password' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it('processes every job exactly once, in the worker only, and sends no reminder twice', { timeout: 90_000 }, async () => {
    // Reset codes requested on both instances: a send-code job, then a mail job each.
    const users = await Promise.all(Array.from({ length: 8 }, () => createUser(a.db)));
    for (const [index, user] of users.entries()) {
      const app = index % 2 === 0 ? a.app : b.app;
      const response = await app.inject({
        method: 'POST',
        url: '/v1/api/user/forget-password/',
        remoteAddress: `10.200.0.${index + 1}`,
        payload: { email: user.email },
      });
      expect(response.statusCode).toBe(202);
    }

    // Reminders: the worker runs on the system clock, so appointments 24 h and a few seconds
    // ahead get reminders due in a few seconds. Doctors book them (confirmed) on A and B; one
    // doctor per appointment, so their times never overlap.
    const patients: Actor<'patient'>[] = [];
    const appointmentIds: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const doctor = await loginAs(a, 'doctor');
      const patient = await loginAs(a, 'patient');
      patients.push(patient);
      const startsAt = new Date(Date.now() + 24 * 3_600_000 + (6 + index) * 1000).toISOString();
      const booked = await call(index % 2 === 0 ? a.app : b.app, 'POST', 'appointment/doctor/', {
        headers: doctor.headers,
        payload: { patientId: patient.profileId, startsAt, reason: 'Reminder' },
      });
      expect(booked.statusCode, booked.body).toBe(201);
      appointmentIds.push(booked.json<{ id: string }>().id);
    }

    const resetMail = (user: { email: string }) => (mail: ReceivedMail) => mail.to.includes(user.email) && mail.subject.includes('Reset');
    const reminderMail = (patient: Actor<'patient'>) => (mail: ReceivedMail) => mail.to.includes(patient.user.email) && mail.subject.includes('Reminder');
    await waitUntil('every reset mail', () => users.every((user) => smtp.messages.some(resetMail(user))), { timeoutMs: 30_000 });
    await waitUntil('every reminder', () => patients.every((patient) => smtp.messages.some(reminderMail(patient))), { timeoutMs: 40_000 });
    // Every due job done (in the worker): nothing is left that could send a mail twice.
    await drainJobs(a, { timeoutMs: 30_000 });

    for (const user of users) expect(smtp.messages.filter(resetMail(user)), user.email).toHaveLength(1);
    for (const patient of patients) expect(smtp.messages.filter(reminderMail(patient)), patient.user.email).toHaveLength(1);
    // The instances processed nothing (WORKER_ENABLED=false): their mailers saw no message.
    expect(a.mail.messages).toEqual([]);
    expect(b.mail.messages).toEqual([]);

    // In pg-boss: each reminder job ran once, and no job anywhere needed a second attempt.
    const reminders = await a.db.$queryRaw<{ state: string; retry_count: number }[]>`
      SELECT state::text AS state, retry_count FROM pgboss.job WHERE name = 'appointments.reminder' AND singleton_key = ANY(${appointmentIds}::text[])`;
    expect(reminders).toEqual(appointmentIds.map(() => ({ state: 'completed', retry_count: 0 })));
    const retried = await a.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE (retry_count > 0 OR state <> 'completed') AND name IN ('mail', 'accounts.send-code', 'appointments.reminder')`;
    expect(retried[0]!.n).toBe(0);
    const mailJobs = await a.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail'`;
    expect(smtp.messages).toHaveLength(mailJobs[0]!.n);

    // The worker's own GET /metrics counts what it delivered (the API instances sent nothing).
    const workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    expect((await fetch(workerMetrics)).status).toBe(401);
    const scraped = await fetch(workerMetrics, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toContain(`clinic_mail_deliveries_total{result="sent"} ${smtp.messages.length}`);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
