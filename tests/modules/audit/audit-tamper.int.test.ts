// Tampering behind the API's back: a superuser disables the append-only trigger and edits or
// removes events; GET operations/audit/verify/ and `npm run audit:verify` point at the first broken link.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { auditCast, readRecord, verifyAudit } from '../../helpers/audit.ts';

const t = useTestApp();
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;

beforeAll(async () => {
  const cast = await auditCast(t);
  ({ admin, doctor } = cast);
  for (let i = 0; i < 5; i += 1) expect((await readRecord(t, doctor, cast.patient)).statusCode).toBe(200);
});

const verify = () => verifyAudit(t, admin);

function auditVerifyScript() {
  const result = spawnSync(process.execPath, ['scripts/audit-verify.ts'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.config.database.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: JSON.parse(result.stdout) as unknown, stderr: result.stderr };
}

/** Runs the statements with the append-only trigger off, as a superuser could. */
async function behindTheApi(...statements: string[]): Promise<void> {
  await t.db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    for (const sql of statements) await tx.$executeRawUnsafe(sql);
    await tx.$executeRawUnsafe('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
  });
}

const reads = () =>
  t.db.auditEvent.findMany({ where: { action: 'patient.read', actorId: doctor.user.id }, orderBy: { seq: 'asc' }, select: { id: true } });

// Each step tampers earlier in the chain than the one before, so its break is the first one.
describe('verifying the chain after tampering', () => {
  it('an intact chain verifies, through the API and the script alike', async () => {
    const total = await t.db.auditEvent.count();
    expect(await verify()).toEqual({ ok: true, checked: total, firstBrokenId: null });
    expect(auditVerifyScript()).toEqual({ status: 0, output: { ok: true, checked: total, firstBrokenId: null }, stderr: '' });
  });

  it('the newest event removed: verify names it (the head still points at it)', async () => {
    const events = await reads();
    const newest = await t.db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' }, select: { id: true } });
    expect(newest.id).toBe(events[4]!.id);
    await behindTheApi(`DELETE FROM audit_events WHERE id = '${newest.id}'`);
    expect(await verify()).toEqual({ ok: false, checked: (await t.db.auditEvent.count()), firstBrokenId: newest.id });
  });

  it('an event removed in the middle: verify names the event after the gap', async () => {
    const [, , third, fourth] = await reads();
    await behindTheApi(`DELETE FROM audit_events WHERE id = '${third!.id}'`);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: fourth!.id });
  });

  it('an edit that also recomputes the event’s own hash is caught at the next event’s link', async () => {
    const [first, second] = await reads();
    await behindTheApi(
      `UPDATE audit_events SET actor_id = NULL WHERE id = '${first!.id}'`,
      `UPDATE audit_events SET hash = audit_event_hash(audit_events) WHERE id = '${first!.id}'`,
    );
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: second!.id });
  });

  it('an edited event breaks itself: verify and npm run audit:verify name it', async () => {
    const login = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'login.success', actorId: doctor.user.id }, select: { id: true } });
    await behindTheApi(`UPDATE audit_events SET ip = '198.51.100.1' WHERE id = '${login.id}'`);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: login.id });
    expect(auditVerifyScript()).toMatchObject({ status: 1, output: { ok: false, firstBrokenId: login.id } });
  });
});
