// Integration tests of the mail queue: transactional enqueue, encrypted payloads, delivery
// through a capture mailer and through real SMTP that is down for a while or takes a mail
// without saying so (the retry carries the same Message-ID).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/lib/db.ts';
import { createJobs, type Jobs } from '../../src/lib/jobs.ts';
import { MAIL_QUEUE, enqueueMail, mailHandler } from '../../src/lib/mail-queue.ts';
import { accountMails } from '../../src/modules/accounts/accounts.mails.ts';
import { createMailer, type Logger, type Mailer, type MailMessage } from '../../src/lib/mailer.ts';
import { createTestDatabase, TEST_POOL_SIZE, type TestDatabase } from '../helpers/database.ts';
import { createCaptureMailer, otpFrom, startSmtpServer, type SmtpTestServer } from '../helpers/mail.ts';

const SECRET_KEY = 'jobs-test-secret-key-0123456789abcdef';

const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** What the worker logged: message and fields, one entry a line. */
function recordingLogger(lines: { message: string; details: object }[]): Logger {
  const record = (details: object, message: string) => void lines.push({ message, details });
  return { info: record, warn: record, error: record, debug() {} };
}

/**
 * A real SMTP server that receives every message whole and then answers 451 to its first
 * delivery, as a server that crashed before its reply (or a worker killed after the server's
 * reply) looks to the sender: the mail is there, and the job is tried again.
 */
async function startForgetfulSmtpServer() {
  const received: { messageId: string | undefined; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const messageId = /^message-id:\s*(\S+)/im.exec(raw)?.[1];
        const firstTime = !received.some((mail) => mail.messageId === messageId);
        received.push({ messageId, raw });
        callback(firstTime ? Object.assign(new Error('Local error in processing'), { responseCode: 451 }) : undefined);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    received,
    emailConfig: { host: '127.0.0.1', port, user: undefined, password: undefined, useTls: false, from: 'Clinic Test <no-reply@clinic.test>' },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `probe` until it returns a value other than undefined. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const uniqueEmail = (domain: string) => `user-${randomBytes(4).toString('hex')}@${domain}`;

const otpMessage = (to: string, code: string): MailMessage => ({ to, ...accountMails.loginOtp({ code, minutes: 10 }) });

// Short delays so a retry comes within a second or two.
const TEST_RETRY = { limit: 5, delaySeconds: 1, maxDelaySeconds: 1 };

describe('mail jobs', () => {
  const capture = createCaptureMailer();
  const logs: { message: string; details: object }[] = [];
  let database: TestDatabase;
  let db: Db;
  let jobs: Jobs;
  let smtp: SmtpTestServer;
  let smtpMailer: Mailer;
  let forgetful: Awaited<ReturnType<typeof startForgetfulSmtpServer>>;
  let forgetfulMailer: Mailer;
  let slowSendStarted: () => void = () => {};

  async function jobRow(id: string) {
    const rows = await db.$queryRawUnsafe<{ state: string; retry_count: number; data: string; output: string | null }[]>(
      'SELECT state::text, retry_count, data::text, output::text FROM pgboss.job WHERE id = $1::uuid',
      id,
    );
    return rows[0];
  }

  async function enqueueCommitted(message: MailMessage): Promise<string> {
    return db.$transaction((tx) => enqueueMail(jobs, tx, message));
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ url: database.url, poolSize: TEST_POOL_SIZE });
    smtp = await startSmtpServer();
    smtpMailer = createMailer(smtp.emailConfig, silentLogger);
    forgetful = await startForgetfulSmtpServer();
    forgetfulMailer = createMailer(forgetful.emailConfig, silentLogger);
    // One worker, routed by recipient domain: capture by default, real SMTP (one that forgets
    // to say it took the mail), or a slow send.
    const router: Mailer = {
      async send(message, id) {
        if (message.to.endsWith('@smtp.test')) return smtpMailer.send(message, id);
        if (message.to.endsWith('@forgetful.test')) return forgetfulMailer.send(message, id);
        if (message.to.endsWith('@slow.test')) {
          slowSendStarted();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
        return capture.send(message);
      },
      async close() {},
    };
    jobs = createJobs({
      databaseUrl: database.url,
      poolSize: TEST_POOL_SIZE,
      secretKey: SECRET_KEY,
      logger: recordingLogger(logs),
      queues: [MAIL_QUEUE],
      pollingIntervalSeconds: 0.5,
      retryOverrides: { mail: TEST_RETRY },
      stopTimeoutMs: 5_000,
    });
    await jobs.start();
    await jobs.work(MAIL_QUEUE.name, mailHandler(router, recordingLogger(logs)));
  });

  afterAll(async () => {
    await jobs?.stop();
    await smtpMailer?.close();
    await smtp?.stop();
    await forgetfulMailer?.close();
    await forgetful?.stop();
    await db?.$disconnect();
    await database?.drop();
  });

  it('creates the mail queue with retries, a short expiry, early deletion and NOTIFY on enqueue', async () => {
    const [queue] = await db.$queryRawUnsafe<Record<string, unknown>[]>(
      'SELECT retry_limit, retry_delay, retry_backoff, retry_delay_max, expire_seconds, deletion_seconds, notify FROM pgboss.queue WHERE name = $1',
      'mail',
    );
    expect(queue).toEqual({ retry_limit: 5, retry_delay: 1, retry_backoff: true, retry_delay_max: 1, expire_seconds: 30, deletion_seconds: 3600, notify: true });
  });

  it('writes no queue or schedule on a restart with unchanged queues, and writes what changed', async () => {
    const tick = { name: 'jobs-test.tick', cron: '*/5 * * * *' };
    const startWith = async (retry: typeof TEST_RETRY, cron: string) => {
      const again = createJobs({
        databaseUrl: database.url,
        poolSize: 1,
        secretKey: SECRET_KEY,
        logger: silentLogger,
        queues: [MAIL_QUEUE, { ...tick, cron }],
        retryOverrides: { mail: retry },
      });
      await again.start();
      await again.stop();
    };
    const stateOf = async () => ({
      queue: (await db.$queryRawUnsafe<{ updated_on: Date; retry_limit: number }[]>('SELECT updated_on, retry_limit FROM pgboss.queue WHERE name = $1', 'mail'))[0],
      schedule: (await db.$queryRawUnsafe<{ updated_on: Date; cron: string }[]>('SELECT updated_on, cron FROM pgboss.schedule WHERE name = $1', tick.name))[0],
    });

    await startWith(TEST_RETRY, tick.cron);
    const before = await stateOf();
    await startWith(TEST_RETRY, tick.cron);
    expect(await stateOf()).toEqual(before);

    await startWith({ ...TEST_RETRY, limit: 7 }, '*/10 * * * *');
    const after = await stateOf();
    expect(after.queue!.retry_limit).toBe(7);
    expect(after.schedule!.cron).toBe('*/10 * * * *');
    await startWith(TEST_RETRY, tick.cron);
    expect((await stateOf()).queue!.retry_limit).toBe(TEST_RETRY.limit);
  });

  it('delivers a mail enqueued in a committed transaction', async () => {
    const to = uniqueEmail('example.com');
    const id = await enqueueCommitted(otpMessage(to, '246810'));

    const mail = await capture.waitFor((message) => message.to === to);
    expect(otpFrom(mail)).toBe('246810');
    expect(mail.subject).toBe('Your Clinic sign-in code');
    expect(await eventually(async () => ((await jobRow(id))?.state === 'completed' ? true : undefined))).toBe(true);
  });

  it('leaves no job behind when the transaction rolls back', async () => {
    const to = uniqueEmail('example.com');
    let id = '';
    await expect(
      db.$transaction(async (tx) => {
        id = await enqueueMail(jobs, tx, otpMessage(to, '135790'));
        // The job is there inside the transaction...
        const inside = await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM pgboss.job WHERE id = $1::uuid', id);
        expect(inside).toHaveLength(1);
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');

    // ...and gone with it.
    expect(id).not.toBe('');
    expect(await jobRow(id)).toBeUndefined();
    expect(capture.messages.some((message) => message.to === to)).toBe(false);
  });

  it('stores the payload encrypted, before and after delivery', async () => {
    const to = uniqueEmail('example.com');
    const code = '918273';
    const id = await enqueueCommitted(otpMessage(to, code));

    const queued = await jobRow(id);
    expect(queued).toBeDefined();
    for (const secret of [code, to, 'sign-in code']) expect(queued!.data).not.toContain(secret);
    expect(JSON.parse(queued!.data)).toEqual({ v: 1, iv: expect.any(String), data: expect.any(String), tag: expect.any(String) });

    await capture.waitFor((message) => message.to === to);
    const done = await eventually(async () => {
      const row = await jobRow(id);
      return row?.state === 'completed' ? row : undefined;
    });
    expect(`${done.data} ${done.output}`).not.toContain(code);
  });

  it('retries while the SMTP server is down and delivers through SMTP once it is back', async () => {
    await smtp.stop();
    const to = uniqueEmail('smtp.test');
    const message: MailMessage = {
      ...otpMessage(to, '564738'),
      attachments: [{ filename: 'visit.ics', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', contentType: 'text/calendar' }],
    };
    const id = await enqueueCommitted(message);

    // An attempt failed (pg-boss keeps the failure as the job's output) and the job awaits a retry.
    const failed = await eventually(async () => {
      const row = await jobRow(id);
      return row?.output ? row : undefined;
    });
    expect(failed.output).toContain('ECONNREFUSED');
    expect(['retry', 'active']).toContain(failed.state);
    expect(smtp.messages.some((mail) => mail.to.includes(to))).toBe(false);

    await smtp.start();
    const received = await smtp.waitFor((mail) => mail.to.includes(to), 10_000);
    expect(received.subject).toBe('Your Clinic sign-in code');
    expect(received.from).toBe('no-reply@clinic.test');
    expect(otpFrom(received)).toBe('564738');
    expect(received.html).toContain('564738');
    expect(received.attachments).toEqual([
      { filename: 'visit.ics', contentType: 'text/calendar', content: 'BEGIN:VCALENDAR\nEND:VCALENDAR' },
    ]);
  });

  it('sends a mail again with the same Message-ID, the job id, when its first delivery was not acknowledged', async () => {
    const to = uniqueEmail('forgetful.test');
    const id = await enqueueCommitted(otpMessage(to, '808182'));

    await eventually(async () => ((await jobRow(id))?.state === 'completed' ? true : undefined), 10_000);
    const deliveries = forgetful.received.filter((mail) => mail.raw.includes(to));
    expect(deliveries).toHaveLength(2);
    expect(deliveries.map((mail) => mail.messageId)).toEqual([`<${id}@clinic.test>`, `<${id}@clinic.test>`]);
    // The log says which attempt failed and which one delivered.
    const ofJob = logs.filter((line) => (line.details as { jobId?: string }).jobId === id);
    expect(ofJob.map((line) => [line.message, (line.details as { attempt?: number }).attempt])).toEqual([
      ['job failed; it will be retried', 1],
      ['mail delivered', 2],
    ]);
  });

  it('fails a job it cannot decrypt without retrying it', async () => {
    const otherKeyJobs = createJobs({
      databaseUrl: database.url,
      poolSize: 1,
      secretKey: 'another-secret-key',
      logger: silentLogger,
      queues: [MAIL_QUEUE],
      retryOverrides: { mail: TEST_RETRY },
    });
    await otherKeyJobs.start();
    const to = uniqueEmail('example.com');
    const id = await db.$transaction((tx) => enqueueMail(otherKeyJobs, tx, otpMessage(to, '111222')));
    await otherKeyJobs.stop();

    const row = await eventually(async () => {
      const current = await jobRow(id);
      return current?.state === 'failed' ? current : undefined;
    });
    expect(row.retry_count).toBe(0);
    expect(capture.messages.some((message) => message.to === to)).toBe(false);
  });

  // Last: it stops the worker.
  it('stops gracefully: a mail being sent is finished first', async () => {
    const to = uniqueEmail('slow.test');
    const started = new Promise<void>((resolve) => {
      slowSendStarted = resolve;
    });
    const id = await enqueueCommitted(otpMessage(to, '333444'));
    await started;

    await jobs.stop();
    expect(capture.messages.some((message) => message.to === to)).toBe(true);
    expect((await jobRow(id))?.state).toBe('completed');
  });
});
