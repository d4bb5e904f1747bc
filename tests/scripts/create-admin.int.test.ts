// `npm run create-admin`: creates an active admin, or promotes an existing account, and says which;
// with the read cache in Redis, the change leaves the API's cached answers.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/lib/db.ts';
import { verifyPassword } from '../../src/lib/password.ts';
import { createTestDatabase, TEST_POOL_SIZE, type TestDatabase } from '../helpers/database.ts';
import { createDoctor, createUser, randomEmail, randomPassword } from '../helpers/actors.ts';
import { useTestApp } from '../helpers/app.ts';
import { API } from '../helpers/http.ts';
import { TEST_REDIS_URL, describeWithRedis } from '../helpers/redis.ts';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, poolSize: TEST_POOL_SIZE });
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

function createAdmin(...args: string[]) {
  return runCreateAdmin({}, ...args);
}

function createAdminWithInput(input: string, ...args: string[]) {
  return runCreateAdmin({ input }, ...args);
}

/** Runs the script on the test database, or on the one `env` names, with only the environment given. */
function runCreateAdmin(options: { input?: string; env?: Record<string, string> }, ...args: string[]) {
  return spawnSync(process.execPath, ['scripts/create-admin.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

describe('create-admin', () => {
  it('creates an active admin with the given password', async () => {
    const email = randomEmail('admin');
    const password = randomPassword();
    const result = createAdmin('--email', email.toUpperCase(), '--password', password);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`Created admin ${email}.`);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user).toMatchObject({ role: 'admin', isActive: true });
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
    const audit = await db.auditEvent.findFirst({ where: { actorId: user.id, action: 'role.change' } });
    expect(audit).not.toBeNull();
  });

  it('promotes an active account and keeps its password; says so', async () => {
    const patient = await createUser(db, { role: 'patient' });
    const result = createAdmin('--email', patient.email);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `Promoted ${patient.email} to an active admin (password unchanged).`,
      'Without REDIS_URL each API server caches in its own memory, which this script cannot reach: its cached answers may show the old account for up to CACHE_TTL (60 s).',
    ]);
    const user = await db.user.findUniqueOrThrow({ where: { id: patient.id } });
    expect(user).toMatchObject({ role: 'admin', isActive: true });
    expect(await verifyPassword(user.passwordHash, patient.password)).toBe(true);
  });

  it('activates a never-activated account with the given password, never the registrant’s (no pre-hijacking)', async () => {
    const registrant = await createUser(db, { role: 'patient', isActive: false });
    const password = randomPassword();
    const result = createAdmin('--email', registrant.email, '--password', password);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^Activated .* with the given password/);
    const user = await db.user.findUniqueOrThrow({ where: { id: registrant.id } });
    expect(user).toMatchObject({ role: 'admin', isActive: true });
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
    expect(await verifyPassword(user.passwordHash, registrant.password)).toBe(false);
  });

  it('--reset-password on an active account sets the password and revokes its sessions', async () => {
    const patient = await createUser(db, { role: 'patient' });
    await db.refreshToken.create({
      data: { userId: patient.id, familyId: crypto.randomUUID(), tokenHash: 'a'.repeat(64), expiresAt: new Date(Date.now() + 3_600_000) },
    });
    const password = randomPassword();
    const result = createAdminWithInput(`${password}\n`, '--email', patient.email, '--reset-password', '--password-stdin');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/set the given password and signed out its sessions/);
    const user = await db.user.findUniqueOrThrow({ where: { id: patient.id } });
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
    expect(await db.refreshToken.count({ where: { userId: patient.id, revokedAt: null } })).toBe(0);
  });

  it('takes the password from standard input, so it never shows in the process list', async () => {
    const email = randomEmail('stdin');
    const password = randomPassword();
    const result = createAdminWithInput(`${password}\n`, '--email', email, '--password-stdin');
    expect(result.status).toBe(0);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
  });

  it('without a password option and no terminal, refuses and stores nothing', async () => {
    const email = randomEmail('nopass');
    const result = createAdminWithInput('', '--email', email);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/No password given/);
    expect(await db.user.findUnique({ where: { email } })).toBeNull();
  });

  it('refuses a weak password or a missing email with exit code 1 and nothing stored', async () => {
    const email = randomEmail('weak');
    const weak = createAdmin('--email', email, '--password', 'password');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/^Password rejected: /);
    expect(await db.user.findUnique({ where: { email } })).toBeNull();

    const missing = createAdmin('--password', randomPassword());
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^Usage: npm run create-admin/);
  });
});

describeWithRedis('create-admin with the read cache in Redis', () => {
  const t = useTestApp({ env: { REDIS_URL: TEST_REDIS_URL } });
  const listed = async (search: string) => {
    const response = await t.app.inject({ method: 'GET', url: `${API}/doctor/list/?search=${search}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ results: { id: string }[] }>().results.map((doctor) => doctor.id);
  };

  it('a doctor it promotes leaves the doctor list the API had cached', async () => {
    const lastName = `Promoted${randomUUID().slice(0, 8)}`;
    const doctor = await createDoctor(t.db, { lastName });
    expect(await listed(lastName)).toEqual([doctor.profileId]);
    const result = runCreateAdmin({ env: { DATABASE_URL: t.config.database.url, REDIS_URL: TEST_REDIS_URL } }, '--email', doctor.user.email);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`Promoted ${doctor.user.email} to an active admin (password unchanged).`);
    expect(await listed(lastName)).toEqual([]);
  });

  it('Redis unreachable: the account is still promoted, with a warning that cached answers may show the old one until CACHE_TTL', async () => {
    const patient = await createUser(db, { role: 'patient' });
    const result = runCreateAdmin({ env: { REDIS_URL: 'redis://127.0.0.1:1', CACHE_TTL: '90s' } }, '--email', patient.email);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`Promoted ${patient.email} to an active admin (password unchanged).`);
    expect(result.stderr.trim()).toMatch(/^Warning: the cache in Redis could not be invalidated \(.+\): the API's cached answers may show the old account for up to CACHE_TTL \(90 s\)\.$/);
    expect(await db.user.findUniqueOrThrow({ where: { id: patient.id } })).toMatchObject({ role: 'admin', isActive: true });
  });
});
