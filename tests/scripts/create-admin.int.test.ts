// `npm run create-admin`: creates an active admin, or promotes an existing account, and says which.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/lib/db.ts';
import { verifyPassword } from '../../src/lib/password.ts';
import { createTestDatabase, TEST_POOL_SIZE, type TestDatabase } from '../helpers/database.ts';
import { createUser, randomEmail, randomPassword } from '../helpers/actors.ts';

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
  return createAdminWithInput(undefined, ...args);
}

function createAdminWithInput(input: string | undefined, ...args: string[]) {
  return spawnSync(process.execPath, ['scripts/create-admin.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    encoding: 'utf8',
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
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
    expect(result.stdout.trim()).toBe(`Promoted ${patient.email} to an active admin (password unchanged).`);
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
