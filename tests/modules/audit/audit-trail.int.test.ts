// The audit trail: append-only in the database, hash-chained without forks under concurrent
// writers, listed by admins with filters and a keyset cursor, with actor, subject user and IP.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { auditCast, readRecord as readAs, verifyAudit, type AuditEvent } from '../../helpers/audit.ts';
import { client, expectFieldError, expectProblem, requestId } from '../../helpers/http.ts';
import { bookForPatient, setStatus, type Appointment } from '../../helpers/scheduling.ts';

interface AuditPage {
  results: AuditEvent[];
  nextCursor: string | null;
}

const t = useTestApp();
const http = () => client(t.app);
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;
let patient: Actor<'patient'>;

beforeAll(async () => {
  ({ admin, doctor, patient } = await auditCast(t));
});

const audit = async (query: string, caller: Actor = admin) => {
  const response = await http().get(`operations/audit/?${query}`, { headers: caller.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AuditPage>();
};
const verify = () => verifyAudit(t, admin);
/** A read of the patient's record by the doctor: one `patient.read` event. */
const readRecord = (headers: Record<string, string> = {}) => readAs(t, doctor, patient, headers);

describe('the database keeps the trail append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of audit_events, even in raw SQL', async () => {
    const [event] = await t.db.$queryRaw<{ id: string }[]>`SELECT id::text FROM audit_events LIMIT 1`;
    expect(event).toBeDefined();
    await expect(t.db.$executeRawUnsafe(`UPDATE audit_events SET action = 'x' WHERE id = '${event!.id}'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.db.$executeRawUnsafe(`DELETE FROM audit_events WHERE id = '${event!.id}'`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(t.db.$executeRawUnsafe('TRUNCATE audit_events')).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await t.db.auditEvent.count({ where: { id: event!.id, action: { not: 'x' } } })).toBe(1);
  });
});

describe('the hash chain', () => {
  it('links each event to the one before: seq + 1, prevHash = the previous hash, hash = SHA-256 of its canonical content', async () => {
    await readRecord();
    const rows = await t.db.$queryRaw<{ seq: bigint; hash: string; prev_hash: string; canonical: string }[]>`
      SELECT seq, hash, prev_hash, audit_event_canonical(e) AS canonical FROM audit_events e ORDER BY seq`;
    expect(rows.length).toBeGreaterThan(3);
    const { createHash } = await import('node:crypto');
    rows.forEach((row, i) => {
      expect(row.seq).toBe(BigInt(i + 1));
      expect(row.prev_hash).toBe(i === 0 ? '0'.repeat(64) : rows[i - 1]!.hash);
      expect(row.hash).toBe(createHash('sha256').update(row.canonical, 'utf8').digest('hex'));
      expect(row.canonical.endsWith(`"${row.prev_hash}"]`)).toBe(true);
    });
  });

  it('40 concurrent audited requests extend one chain: no fork, no gap, verify passes', async () => {
    const before = await t.db.auditEvent.count();
    const responses = await Promise.all(Array.from({ length: 40 }, () => readRecord()));
    for (const response of responses) expect(response.statusCode).toBe(200);
    const [stats] = await t.db.$queryRaw<{ n: bigint; links: bigint; max: bigint }[]>`
      SELECT count(*) AS n, count(DISTINCT prev_hash) AS links, max(seq) AS max FROM audit_events`;
    expect(Number(stats!.n)).toBe(before + 40);
    expect(stats!.links).toBe(stats!.n);
    expect(stats!.max).toBe(stats!.n);
    expect(await verify()).toEqual({ ok: true, checked: Number(stats!.n), firstBrokenId: null });
  });
});

describe('GET operations/audit/', () => {
  it('records a read of a patient’s record with the actor, their role, the subject user and the IP', async () => {
    const id = requestId();
    await readRecord({ 'x-request-id': id });
    const { results } = await audit(`actorId=${doctor.user.id}&action=patient.read&limit=1`);
    expect(results).toEqual([
      expect.objectContaining({
        actorId: doctor.user.id,
        actorRole: 'doctor',
        action: 'patient.read',
        outcome: 'success',
        subjectType: 'patient',
        subjectId: patient.profileId,
        subjectUserId: patient.user.id,
        ip: '203.0.113.9',
        detail: { route: '/v1/api/patient/patients/:patient' },
      }),
    ]);
    expect(results[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records appointment changes with the patient as subject user', async () => {
    const booked = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(booked.statusCode, booked.body).toBe(201);
    const appointment = booked.json<Appointment>();
    expect((await setStatus(t, doctor, appointment.id, 'cancelled')).statusCode).toBe(200);
    const { results } = await audit(`subjectUserId=${patient.user.id}&limit=2`);
    expect(results.map((event) => [event.action, event.subjectId, event.actorId, event.detail])).toEqual([
      ['appointment.status_change', appointment.id, doctor.user.id, { status: 'cancelled', previousStatus: 'confirmed' }],
      ['appointment.create', appointment.id, doctor.user.id, { status: 'confirmed' }],
    ]);
  });

  it('pages newest first with a cursor that stays put while events arrive, and filters by time', async () => {
    const since = new Date().toISOString();
    for (let i = 0; i < 5; i += 1) await readRecord();
    const first = await audit(`actorId=${doctor.user.id}&from=${since}&limit=2`);
    expect(first.results).toHaveLength(2);
    for (let i = 0; i < 3; i += 1) await readRecord(); // newer events: they must not shift the next pages
    const second = await audit(`actorId=${doctor.user.id}&from=${since}&limit=2&cursor=${first.nextCursor}`);
    const third = await audit(`actorId=${doctor.user.id}&from=${since}&limit=2&cursor=${second.nextCursor}`);
    const everything = await audit(`actorId=${doctor.user.id}&from=${since}&limit=200`);
    expect(everything.results).toHaveLength(8);
    expect(everything.nextCursor).toBeNull();
    // The first five, oldest last, exactly once across the three pages.
    expect([...first.results, ...second.results, ...third.results].map((event) => event.id)).toEqual(everything.results.slice(3).map((event) => event.id));
    expect(third.nextCursor).toBeNull();
    const ats = everything.results.map((event) => event.at);
    expect(ats).toEqual([...ats].sort().reverse());
    expect((await audit(`actorId=${doctor.user.id}&from=${since}&to=${since}`)).results).toEqual([]);
  });

  it('is for admins only; bad filters and cursors answer 400', async () => {
    expectProblem(await http().get('operations/audit/', { headers: doctor.headers }), 403, 'forbidden');
    expectProblem(await http().get('operations/audit/verify/', { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await http().get('operations/audit/'), 401, 'unauthorized');
    expectFieldError(await http().get('operations/audit/?cursor=bm9wZQ', { headers: admin.headers }), 'query.cursor');
    expectFieldError(await http().get('operations/audit/?limit=201', { headers: admin.headers }), 'query.limit');
    expectFieldError(await http().get('operations/audit/?actorId=1', { headers: admin.headers }), 'query.actorId');
    expectFieldError(await http().get('operations/audit/?action=%00', { headers: admin.headers }), 'query.action');
    expectFieldError(await http().get('operations/audit/?from=yesterday', { headers: admin.headers }), 'query.from');
  });
});
