// `npm run create-admin`: creates an active admin, or promotes an existing account, and says which.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/lib/db.ts';
import { verifyPassword } from '../../src/lib/password.ts';
import { createTestDatabase, testPoolSize, type TestDatabase } from '../helpers/database.ts';
import { createUser, randomEmail, randomPassword } from '../helpers/factories.ts';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, poolSize: testPoolSize() });
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

function createAdmin(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    encoding: 'utf8',
    timeout: 60_000,
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

  it('promotes and activates an existing account, keeping its password', async () => {
    const patient = await createUser(db, { role: 'patient', isActive: false });
    const result = createAdmin('--email', patient.email, '--password', 'ignored-for-existing');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`Promoted ${patient.email} to an active admin (password unchanged).`);
    const user = await db.user.findUniqueOrThrow({ where: { id: patient.id } });
    expect(user).toMatchObject({ role: 'admin', isActive: true });
    expect(await verifyPassword(user.passwordHash, patient.password)).toBe(true);
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
