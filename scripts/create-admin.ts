// `npm run create-admin -- --email E [--password P | --password-stdin] [--reset-password]`:
// creates an active admin; activates a never-activated account with the given password; or
// promotes an active account (its password is kept unless --reset-password). Without a
// password option it asks for one, so it need not show in the process list. A changed account
// leaves the API's cached answers (the doctor list...) when they are in Redis (REDIS_URL).
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { ConfigError, loadCacheConfig, type Config } from '../src/config.ts';
import { processCacheOf } from '../src/lib/cache.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createDb } from '../src/lib/db.ts';
import { checkPasswordPolicy, hashPassword } from '../src/lib/password.ts';
import { connectRedis } from '../src/lib/redis.ts';
import { adminPlan, createOrPromoteAdmin, type AdminOutcome } from '../src/modules/accounts/admin.service.ts';
import { emailSchema } from '../src/schemas/common.ts';
import { withScriptDatabase } from './script-db.ts';

const USAGE = 'Usage: npm run create-admin -- --email admin@example.com [--password <password> | --password-stdin] [--reset-password]';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) fail(`No password given: use --password-stdin or --password.\n${USAGE}`);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stdout.write(chunk as Buffer);
      callback();
    },
  });
  const readline = createInterface({ input: process.stdin, output, terminal: true });
  const answer = readline.question(question);
  muted = true;
  try {
    return await answer;
  } finally {
    readline.close();
    process.stdout.write('\n');
  }
}

const MESSAGES: Record<AdminOutcome, (email: string) => string> = {
  created: (email) => `Created admin ${email}.`,
  activated: (email) => `Activated ${email} as an admin with the given password (it had never been activated).`,
  promoted: (email) => `Promoted ${email} to an active admin (password unchanged).`,
  promoted_password_reset: (email) => `Promoted ${email} to an active admin, set the given password and signed out its sessions.`,
};

/** What the Redis connection and the cache report (its errors, a failed invalidation), kept for one warning at the end. */
let redisError: unknown;
let invalidationFailed = false;
const cacheLogger = {
  warn: (fields: { err?: unknown }) => {
    redisError ??= fields.err;
  },
  error: (fields: { err?: unknown }) => {
    invalidationFailed = true;
    redisError ??= fields.err;
  },
};

if (existsSync('.env')) process.loadEnvFile('.env');
let cacheConfig: Pick<Config, 'redisUrl' | 'cache'>;
try {
  cacheConfig = loadCacheConfig(process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    'reset-password': { type: 'boolean', default: false },
  },
});
const email = emailSchema.safeParse(values.email ?? '');
if (!email.success) fail(USAGE);
const resetPassword = values['reset-password'];

await withScriptDatabase(async (url) => {
  const db = createDb({ url, poolSize: 1 });
  let redis: Redis | undefined;
  try {
    const { needsPassword } = await adminPlan({ db }, email.data, resetPassword);
    let passwordHash: string | null = null;
    if (needsPassword) {
      const password = values['password-stdin'] ? await readStdin() : (values.password ?? (await prompt('Password: ')));
      const problem = checkPasswordPolicy(password, { email: email.data });
      if (problem) fail(`Password rejected: ${problem}`);
      passwordHash = await hashPassword(password);
    }
    // The API servers' shared read cache: the change must leave its answers (src/lib/cache.ts).
    redis = cacheConfig.redisUrl ? await connectRedis(cacheConfig.redisUrl, cacheLogger) : undefined;
    const { cache, namespaceRead } = processCacheOf({ ...cacheConfig, workerEnabled: false }, { redis, db, clock: systemClock, logger: cacheLogger });
    await namespaceRead;
    const outcome = await createOrPromoteAdmin({ db, clock: systemClock, cache }, { email: email.data, passwordHash, resetPassword });
    console.log(MESSAGES[outcome](email.data));
    const staleFor = `for up to CACHE_TTL (${cacheConfig.cache.ttlSeconds} s)`;
    if (invalidationFailed) {
      const cause = redisError instanceof Error ? redisError.message : String(redisError);
      console.error(`Warning: the cache in Redis could not be invalidated (${cause}): the API's cached answers may show the old account ${staleFor}.`);
    } else if (!cacheConfig.redisUrl && cacheConfig.cache.enabled && outcome !== 'created') {
      console.log(`Without REDIS_URL each API server caches in its own memory, which this script cannot reach: its cached answers may show the old account ${staleFor}.`);
    }
  } finally {
    redis?.disconnect();
    await db.$disconnect();
  }
});
