// buildTestApp(): the real application on a fresh database cloned from the migrated template,
// with a capture mailer, a movable clock, captured logs and a media directory of its own;
// useTestApp() / useTestDatabase(): the same, built before a file's (or block's) tests and closed after them.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type AppOverrides } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createDb, type Db } from '../../src/lib/db.ts';
import { createTestDatabase, TEST_POOL_SIZE, type TestDatabase } from './database.ts';
import { createCaptureMailer, type CaptureMailer } from './mail.ts';

export interface TestClock extends Clock {
  advance(ms: number): void;
  reset(): void;
}

/** Real time plus an offset that tests move forward instead of sleeping. */
export function createTestClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms) => void (offsetMs += ms),
    reset: () => void (offsetMs = 0),
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** A separate client on the test database, for arranging and inspecting rows. */
  db: Db;
  mail: CaptureMailer;
  clock: TestClock;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** Where local storage keeps uploads: a temporary directory removed by close(), unless `env.MEDIA_ROOT` names one. */
  mediaRoot: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment, e.g. `{ RATE_LIMIT_ENABLED: 'true' }`. */
  env?: Record<string, string>;
  /** Configure the app as `npm start` does on the embedded database (CORS for local origins...). */
  embedded?: boolean;
  /** Reuse an existing database instead of cloning a new one. */
  databaseUrl?: string;
  /**
   * Passed through to buildApp in place of the defaults, e.g. a real SMTP mailer and a short
   * mail retry policy. With another mailer, `mail` (the capture mailer) receives nothing.
   */
  overrides?: Pick<AppOverrides, 'mailer' | 'jobOptions' | 'lookup'>;
  /** Skip the log canary in close(): only for a test that puts a secret in a log on purpose. */
  allowSecretsInLogs?: boolean;
  /**
   * Runs on the database (and with the media directory) before the app starts, e.g. to seed the
   * demo data. The client it gets is closed afterwards.
   */
  prepare?: (setup: { db: Db; mediaRoot: string }) => Promise<void>;
}

/**
 * The log canary: shapes of secrets that must never reach a log line, whatever the test. Every
 * test app checks its captured logs against them when it closes (see close()).
 */
export const SECRET_LOG_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'argon2 password hash', pattern: /\$argon2(?:id|i|d)\$/ },
  { name: 'JWT', pattern: /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/ },
  { name: 'bearer credentials', pattern: /Bearer\s+(?!\[Redacted\])[\w.~+/-]{8,}/i },
  // randomPassword() in the factories and the passwords the tests spell out.
  { name: 'test password', pattern: /\bPw-[0-9a-f]{8}-|Canary-(?:One|Two|Three)-|Wrong-password/ },
  {
    name: 'secret field',
    pattern: /"(?:password|oldPassword|newPassword|currentPassword|passwordHash|password_hash|otp|otpHash|refresh|access|token|authorization|cookie)"\s*:\s*"(?!\[Redacted\])/i,
  },
  // A webhook signing secret (shown once, stored encrypted).
  { name: 'webhook secret', pattern: /whsec_[A-Za-z0-9+/]{16,}/ },
  // A one-time code mail's text (a log mailer would print it).
  { name: 'OTP mail', pattern: /here is your code to[^"]{0,200}\b\d{6}\b/i },
  // A texted code (a log SMS provider would print it).
  { name: 'SMS code', pattern: /code: \d{6}\. Valid for/ },
  // Refresh tokens: 32 random bytes in base64url (43 characters, mixed case and digits).
  { name: 'refresh token', pattern: /(?<![\w-])(?=[\w-]{0,42}[A-Z])(?=[\w-]{0,42}[a-z])(?=[\w-]{0,42}\d)[\w-]{43}(?![\w-])/ },
];

/** The log lines that match a secret pattern, each with the pattern's name. */
export function secretsInLogs(lines: readonly string[]): string[] {
  return lines.flatMap((line) =>
    SECRET_LOG_PATTERNS.filter(({ pattern }) => pattern.test(line)).map(({ name }) => `${name}: ${line.trim().slice(0, 400)}`),
  );
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const url = options.databaseUrl ?? database!.url;
  const ownMediaRoot = options.env?.MEDIA_ROOT ? undefined : await mkdtemp(path.join(tmpdir(), 'clinic-media-'));
  const mediaRoot = options.env?.MEDIA_ROOT ?? ownMediaRoot!;
  const discard = async () => {
    await database?.drop();
    if (ownMediaRoot) await rm(ownMediaRoot, { recursive: true, force: true });
  };
  try {
    return await startTestApp(options, url, mediaRoot, discard);
  } catch (error) {
    await discard();
    throw error;
  }
}

/** The app on the database and media directory buildTestApp made; `discard` removes those. */
async function startTestApp(options: TestAppOptions, url: string, mediaRoot: string, discard: () => Promise<void>): Promise<TestApp> {
  if (options.prepare) {
    const db = createDb({ url, poolSize: 1 });
    try {
      await options.prepare({ db, mediaRoot });
    } finally {
      await db.$disconnect();
    }
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    SECRET_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: String(TEST_POOL_SIZE),
    LOG_LEVEL: 'info',
    MEDIA_ROOT: mediaRoot,
    RATE_LIMIT_ENABLED: 'false',
    // Many apps share one test process on a busy machine: event-loop delay says nothing about
    // the app under test there. The overload tests set their own limits.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...options.env,
  }, { embedded: options.embedded ?? false });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const mail = createCaptureMailer();
  const clock = createTestClock();
  const app = await buildApp(config, {
    mailer: options.overrides?.mailer ?? mail,
    clock,
    logStream,
    jobOptions: options.overrides?.jobOptions ?? { pollingIntervalSeconds: 0.5 },
    ...(options.overrides?.lookup ? { lookup: options.overrides.lookup } : {}),
  });
  const db = createDb({ url, poolSize: 1 });
  return {
    app,
    config,
    db,
    mail,
    clock,
    logs,
    mediaRoot,
    async close() {
      await app.close();
      await db.$disconnect();
      await discard();
      // The log canary, over every test app of the suite: fail loudly on a secret in any line.
      const leaks = options.allowSecretsInLogs ? [] : secretsInLogs(logs);
      if (leaks.length > 0) {
        throw new Error(`Log canary: ${leaks.length} captured log line(s) hold a secret:\n${leaks.slice(0, 10).join('\n')}`);
      }
    },
  };
}

/**
 * Something the tests of a file (or of the `describe` block it is called in) share: built by
 * `beforeAll`, closed by `afterAll`. The returned object is filled in by `beforeAll`, so read it
 * inside tests and hooks only.
 */
export function useShared<T extends { close(): Promise<void> }>(build: () => Promise<T>): T {
  const holder = {} as T;
  beforeAll(async () => {
    Object.assign(holder, await build());
  });
  afterAll(async () => {
    await holder.close?.();
  });
  return holder;
}

/**
 * The test app of a file or block: `const t = useTestApp(); ... t.app.inject(...)`. Options that
 * depend on something built first (a server's port) are given as a function, called in `beforeAll`.
 */
export function useTestApp(options: TestAppOptions | (() => TestAppOptions) = {}): TestApp {
  return useShared(() => buildTestApp(typeof options === 'function' ? options() : options));
}

export interface SharedTestDatabase extends Pick<TestDatabase, 'url'> {
  /** A client on it, with the pool size of the test server. */
  db: Db;
  close(): Promise<void>;
}

/** A database of the file's own with no app on it (schema and constraint tests). */
export function useTestDatabase(): SharedTestDatabase {
  return useShared(async () => {
    const database = await createTestDatabase();
    const db = createDb({ url: database.url, poolSize: TEST_POOL_SIZE });
    return {
      url: database.url,
      db,
      async close() {
        await db.$disconnect();
        await database.drop();
      },
    };
  });
}
