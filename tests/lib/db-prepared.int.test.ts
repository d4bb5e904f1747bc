// queryPrepared: the session check's statement runs prepared through the pool, and reads the
// same rows as through Prisma (inside a transaction, and when the pool path fails).
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, queryPrepared, type Db } from '../../src/lib/db.ts';
import { findActiveSession } from '../../src/modules/accounts/sessions.service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createUser } from '../helpers/actors.ts';

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, poolSize: 1 }); // one connection: the probes below see its statements
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const PREPARED = { name: 'probe_prepared', text: 'SELECT name FROM pg_prepared_statements ORDER BY name' };

describe('queryPrepared', () => {
  it('prepares the session check once per connection and answers as the Prisma path does', async () => {
    const user = await createUser(db);
    const familyId = randomUUID();
    await db.refreshToken.create({
      data: { userId: user.id, familyId, tokenHash: createHash('sha256').update(familyId).digest('hex'), expiresAt: new Date(Date.now() + 60_000), createdAt: new Date() },
    });
    const now = new Date();
    const actor = await findActiveSession(db, user.id, familyId, now);
    expect(actor).toEqual({ userId: user.id, role: user.role, sessionId: familyId });
    const names = await queryPrepared<{ name: string }>(db, PREPARED, []);
    expect(names.map((row) => row.name)).toContain('session_user_v1');

    // Inside a transaction the statement goes through Prisma, unprepared: the same answer.
    const inTransaction = await db.$transaction((tx) => findActiveSession(tx, user.id, familyId, now));
    expect(inTransaction).toEqual(actor);
    // A revoked session is not found either way.
    await db.refreshToken.updateMany({ where: { familyId }, data: { revokedAt: now } });
    expect(await findActiveSession(db, user.id, familyId, new Date())).toBeNull();
    expect(await db.$transaction((tx) => findActiveSession(tx, user.id, familyId, new Date()))).toBeNull();
  });

  it('a failing statement fails through Prisma, as any other query does', async () => {
    await expect(queryPrepared(db, { name: 'probe_broken', text: 'SELECT * FROM no_such_table' }, [])).rejects.toMatchObject({
      name: 'PrismaClientKnownRequestError',
    });
  });
});
