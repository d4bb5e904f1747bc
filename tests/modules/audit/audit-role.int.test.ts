// The application needs no right to change history (issue 18): run as a database role that may
// insert into audit_events but not update, delete or truncate it, the API still records its
// events and keeps the chain whole, and a change is refused by the database's permissions before
// any trigger is reached.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../helpers/actors.ts';
import { buildTestApp, type TestApp } from '../../helpers/app.ts';
import { auditCast, readRecord, verifyAudit } from '../../helpers/audit.ts';

const role = `clinic_app_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');

let owner: TestApp;
let restricted: TestApp;
let roleUrl: string;

beforeAll(async () => {
  owner = await buildTestApp();
  // What a deployment grants the API's own role: everything on the tables, minus changing history.
  for (const sql of [
    `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`,
    `GRANT USAGE ON SCHEMA public, pgboss TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, pgboss TO ${role}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, pgboss TO ${role}`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public, pgboss TO ${role}`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM ${role}`,
  ]) {
    await owner.db.$executeRawUnsafe(sql);
  }
  const url = new URL(owner.config.database.url);
  url.username = role;
  url.password = password;
  roleUrl = url.toString();
  restricted = await buildTestApp({ databaseUrl: roleUrl });
}, 60_000);

afterAll(async () => {
  await restricted?.close();
  if (owner) {
    await owner.db.$executeRawUnsafe(`DROP OWNED BY ${role}`);
    await owner.db.$executeRawUnsafe(`DROP ROLE IF EXISTS ${role}`);
    await owner.close();
  }
});

describe('an API role without UPDATE, DELETE or TRUNCATE on audit_events', () => {
  it('still records audited actions and keeps the chain whole', async () => {
    const cast = await auditCast(restricted);
    expect((await readRecord(restricted, cast.doctor, cast.patient)).statusCode).toBe(200);
    const reads = await owner.db.auditEvent.count({ where: { action: 'patient.read', actorId: cast.doctor.user.id } });
    expect(reads).toBe(1);
    const admin = await loginAs(restricted, 'admin');
    expect(await verifyAudit(restricted, admin)).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('cannot change history: the database refuses it by permission', async () => {
    const client = new pg.Client({ connectionString: roleUrl });
    await client.connect();
    try {
      for (const sql of ["UPDATE audit_events SET action = 'edited'", 'DELETE FROM audit_events', 'TRUNCATE audit_events']) {
        await expect(client.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await client.end();
    }
    expect(await owner.db.auditEvent.count({ where: { action: 'edited' } })).toBe(0);
  });
});
