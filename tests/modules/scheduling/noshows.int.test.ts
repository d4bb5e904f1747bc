// No-shows: the autoNoShow sweep (fake clock; one history row, one audit event and one webhook
// event per appointment even when two sweeps run at once; a batch's audit events in one statement;
// nothing older than the look-back), the doctor's 24-hour correction, noShowCount on the patient
// for doctors and admins, and confirmAfterNoShows.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_META } from '../../../src/lib/context.ts';
import { SCHEDULING_QUEUES } from '../../../src/modules/scheduling/scheduling.jobs.ts';
import { NO_SHOW_LOOKBACK_MS, sweepNoShows } from '../../../src/modules/scheduling/noshows.service.ts';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { verifyAudit } from '../../helpers/audit.ts';
import { expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, localDate, mailTo, putRules, setStatus, type Appointment } from '../../helpers/scheduling.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { createEndpoint, startReceiver, type Receiver } from '../../helpers/webhooks.ts';

const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let receiver: Receiver;
let admin: Actor<'admin'>;

beforeAll(async () => {
  receiver = await startReceiver();
  admin = await loginAs(t, 'admin');
  await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.no_show'] });
});

afterAll(async () => {
  await receiver.close();
});

afterEach(() => {
  t.clock.reset();
});

/** The sweep as the worker runs it, on the app's clock. */
const sweep = () => sweepNoShows({ ...t.app.deps, meta: SYSTEM_META });

let earlier = 0;
/**
 * A confirmed 10-minute appointment the doctor records for the patient, starting at least
 * `minutesAgo` before the app's clock: each call 15 minutes earlier, so none overlap.
 */
async function confirmedStartedAgo(doctor: Actor<'doctor'>, patient: Actor<'patient'>, minutesAgo: number): Promise<Appointment> {
  earlier += 15;
  const startsAt = new Date(Math.floor(t.clock.now().getTime() / MINUTE) * MINUTE - (minutesAgo + earlier) * MINUTE);
  const response = await bookForPatient(t, doctor, {
    patientId: patient.profileId,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 10 * MINUTE).toISOString(),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Appointment>();
}

/** A confirmed appointment starting exactly `minutesAgo` before the app's clock. */
async function confirmedAt(doctor: Actor<'doctor'>, patient: Actor<'patient'>, minutesAgo: number): Promise<Appointment> {
  const startsAt = new Date(t.clock.now().getTime() - minutesAgo * MINUTE);
  const response = await bookForPatient(t, doctor, {
    patientId: patient.profileId,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + MINUTE).toISOString(),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Appointment>();
}

/**
 * `count` confirmed 10-minute appointments 15 minutes apart, the first `minutesAgo` (and more) before
 * the app's clock, over the doctors and patients in turn, written in one statement (many bookings
 * through the API take long on a busy machine).
 */
async function insertConfirmed(doctors: Actor<'doctor'>[], patients: Actor<'patient'>[], count: number, minutesAgo: number): Promise<string[]> {
  earlier += count * 15;
  const base = new Date(t.clock.now().getTime() - (minutesAgo + earlier) * MINUTE);
  const doctorIds = doctors.map((doctor) => doctor.profileId);
  const patientIds = patients.map((patient) => patient.profileId);
  const rows = await t.db.$queryRaw<{ id: string }[]>`
    INSERT INTO appointments (id, patient_id, doctor_id, starts_at, ends_at, status, updated_at)
    SELECT gen_random_uuid(), (${patientIds}::uuid[])[1 + (i / ${doctorIds.length}) % ${patientIds.length}], (${doctorIds}::uuid[])[1 + i % ${doctorIds.length}],
           ${base}::timestamptz + i * interval '15 minutes', ${base}::timestamptz + i * interval '15 minutes' + interval '10 minutes', 'confirmed', now()
      FROM generate_series(0, ${count - 1}) AS i
    RETURNING id::text AS id`;
  return rows.map((row) => row.id);
}

async function statusOf(id: string): Promise<string> {
  return (await t.db.appointment.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
}

/** Per appointment: its no_show history rows, its audit events of becoming no_show, its appointment.no_show webhook events. */
async function recordsOf(ids: string[]): Promise<Map<string, { history: number; audit: number; webhook: number }>> {
  const rows = await t.db.$queryRaw<{ id: string; history: number; audit: number; webhook: number }[]>`
    SELECT a.id::text AS id,
           (SELECT count(*)::int FROM appointment_status_history h WHERE h.appointment_id = a.id AND h.status = 'no_show') AS history,
           (SELECT count(*)::int FROM audit_events e WHERE e.subject_id = a.id AND e.action = 'appointment.status_change'
                                                      AND e.metadata->>'status' = 'no_show') AS audit,
           (SELECT count(*)::int FROM webhook_events w WHERE w.type = 'appointment.no_show' AND w.data->>'id' = a.id::text) AS webhook
      FROM appointments a WHERE a.id = ANY(${ids}::uuid[])`;
  return new Map(rows.map(({ id, ...counts }) => [id, counts]));
}

describe('the autoNoShow sweep', () => {
  it('marks confirmed appointments of autoNoShow doctors once their grace is over, by the system, with a mail, an audit event and a webhook', async () => {
    const [doctor, manualDoctor] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'doctor')]);
    const [patient, otherPatient] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    await putRules(t, doctor, { autoNoShow: true, noShowGraceMinutes: 15 });
    await putRules(t, manualDoctor, { autoNoShow: false, noShowGraceMinutes: 5 });

    const overdue = await confirmedAt(doctor, patient, 20);
    const inGrace = await confirmedAt(doctor, otherPatient, 10);
    const manual = await confirmedAt(manualDoctor, patient, 120);
    const future = await confirmedAt(doctor, otherPatient, -60);
    // Pending and completed appointments are left alone, however late.
    const completed = await confirmedStartedAgo(doctor, patient, 60);
    expect((await setStatus(t, doctor, completed.id, 'completed')).statusCode).toBe(200);
    const pending = await t.db.appointment.create({
      data: { doctorId: doctor.profileId, patientId: otherPatient.profileId, status: 'pending', startsAt: new Date(Date.now() - 5 * HOUR), endsAt: new Date(Date.now() - 5 * HOUR + 10 * MINUTE) },
      select: { id: true },
    });

    await sweep();
    expect(await statusOf(overdue.id)).toBe('no_show');
    expect(await statusOf(inGrace.id)).toBe('confirmed');
    expect(await statusOf(manual.id)).toBe('confirmed');
    expect(await statusOf(future.id)).toBe('confirmed');
    expect(await statusOf(completed.id)).toBe('completed');
    expect(await statusOf(pending.id)).toBe('pending');

    // The patient sees who did it: the system.
    const seen = await call(t.app, 'GET', `appointment/patient/${overdue.id}/`, { headers: patient.headers });
    const history = seen.json<Appointment>().statusHistory;
    expect(history.at(-1)).toEqual({ status: 'no_show', at: expect.any(String), by: { role: 'system', id: null, firstName: null, lastName: null }, note: null });
    expect(history.map((entry) => entry.status)).toEqual(['confirmed', 'no_show']);
    await mailTo(t, patient.user.email, 'marked as missed');
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { subjectId: overdue.id, action: 'appointment.status_change' }, select: { actorId: true, actorRole: true, metadata: true } });
    expect(audit).toEqual({ actorId: null, actorRole: 'system', metadata: { status: 'no_show', previousStatus: 'confirmed' } });

    // Six minutes later the second one's grace (15 minutes from its start) is over too.
    t.clock.advance(6 * MINUTE);
    await sweep();
    expect(await statusOf(inGrace.id)).toBe('no_show');
    expect(await statusOf(manual.id)).toBe('confirmed');
    expect(await statusOf(future.id)).toBe('confirmed');
    await mailTo(t, otherPatient.user.email, 'marked as missed');
    const records = await recordsOf([overdue.id, inGrace.id]);
    expect([...records.values()]).toEqual([
      { history: 1, audit: 1, webhook: 1 },
      { history: 1, audit: 1, webhook: 1 },
    ]);
    await waitUntil('both webhooks delivered', () => receiver.received.filter((hook) => [overdue.id, inGrace.id].includes(String(hook.event.data.id))).length === 2);
    expect(receiver.received.find((hook) => hook.event.data.id === overdue.id)?.event).toMatchObject({ type: 'appointment.no_show', data: { status: 'no_show' } });
  });

  it('two sweeps at once mark each appointment once: one history row, one audit event, one webhook event each', async () => {
    const doctors = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'doctor')]);
    const patients = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    for (const doctor of doctors) await putRules(t, doctor, { autoNoShow: true, noShowGraceMinutes: 5 });
    const ids: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      // More than one sweep batch (50) per round, over both doctors and both patients.
      const made = await insertConfirmed(doctors, patients, 60, 30);
      const [first, second] = await Promise.all([sweep(), sweep()]);
      // The sweeps' answers never overlap (and the app's own cron sweep may have taken some).
      expect(first.filter((id) => second.includes(id))).toEqual([]);
      for (const id of made) expect(await statusOf(id), `round ${round}`).toBe('no_show');
      ids.push(...made);
    }
    const records = await recordsOf(ids);
    expect(records.size).toBe(ids.length);
    for (const [id, counts] of records) expect(counts, id).toEqual({ history: 1, audit: 1, webhook: 1 });
  }, 120_000);

  it('appends a batch’s audit events in one statement (one transaction, one command id), after its other writes; the chain stays intact', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patients = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    await putRules(t, doctor, { autoNoShow: true, noShowGraceMinutes: 5 });
    const made = await insertConfirmed([doctor], patients, 4, 30);
    // This sweep or the app's own cron sweep: one of them marks all four in one batch.
    await sweep();
    const [audit] = await t.db.$queryRaw<{ events: number; transactions: number; statements: number; after: boolean }[]>`
      SELECT count(*)::int AS events, count(DISTINCT e.xmin::text)::int AS transactions, count(DISTINCT e.cmin::text)::int AS statements,
             bool_and(e.cmin::text::int > (SELECT max(h.cmin::text::int) FROM appointment_status_history h
                                            WHERE h.xmin::text = e.xmin::text AND h.appointment_id = ANY(${made}::uuid[]))) AS after
        FROM audit_events e WHERE e.subject_id = ANY(${made}::uuid[]) AND e.action = 'appointment.status_change'`;
    expect(audit).toEqual({ events: 4, transactions: 1, statements: 1, after: true });
    expect(await verifyAudit(t, admin)).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('leaves confirmed the appointments that started longer ago than the look-back', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await loginAs(t, 'patient');
    await putRules(t, doctor, { autoNoShow: true, noShowGraceMinutes: 5 });
    const [recent] = await insertConfirmed([doctor], [patient], 1, 30);
    const [old] = await insertConfirmed([doctor], [patient], 1, NO_SHOW_LOOKBACK_MS / MINUTE + 60);
    await sweep();
    expect(await statusOf(recent!)).toBe('no_show');
    expect(await statusOf(old!)).toBe('confirmed');
  });

  it('runs every minute as a scheduled job', async () => {
    const [schedule] = await t.db.$queryRaw<{ cron: string }[]>`SELECT cron FROM pgboss.schedule WHERE name = ${SCHEDULING_QUEUES.sweepNoShows.name}`;
    expect(schedule?.cron).toBe('* * * * *');
  });
});

describe('correcting a no-show', () => {
  it('the doctor may turn a no-show into completed within 24 hours of it, not later; another doctor cannot at all', async () => {
    const [doctor, otherDoctor] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'doctor')]);
    const patient = await loginAs(t, 'patient');
    await putRules(t, doctor, { autoNoShow: true, noShowGraceMinutes: 15 });
    const swept = await confirmedStartedAgo(doctor, patient, 30);
    const marked = await confirmedStartedAgo(doctor, patient, 30);
    const late = await confirmedStartedAgo(doctor, patient, 30);
    expect((await setStatus(t, doctor, marked.id, 'no_show')).statusCode).toBe(200);
    await sweep();
    expect(await statusOf(swept.id)).toBe('no_show');
    expect(await statusOf(late.id)).toBe('no_show');

    expectProblem(await setStatus(t, otherDoctor, swept.id, 'completed'), 404, 'not_found');
    expectProblem(await setStatus(t, doctor, swept.id, 'cancelled'), 422, 'invalid_transition');
    expectProblem(await setStatus(t, doctor, swept.id, 'confirmed'), 422, 'invalid_transition');

    t.clock.advance(23 * HOUR);
    // Access tokens expire on the app's clock: log in again at the new time.
    const headers = bearer(await login(t.app, doctor.user));
    const corrected = await setStatus(t, { headers }, swept.id, 'completed', 'Came in late');
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json<Appointment>().statusHistory.map((entry) => [entry.status, entry.by.role, entry.note])).toEqual([
      ['confirmed', 'doctor', null],
      ['no_show', 'system', null],
      ['completed', 'doctor', 'Came in late'],
    ]);
    expect((await setStatus(t, { headers }, marked.id, 'completed')).statusCode).toBe(200);
    // Completed is final again.
    expectProblem(await setStatus(t, { headers }, swept.id, 'no_show'), 422, 'invalid_transition');

    t.clock.advance(HOUR + MINUTE);
    const later = bearer(await login(t.app, doctor.user));
    const refused = expectProblem(await setStatus(t, { headers: later }, late.id, 'completed'), 422, 'invalid_transition');
    expect(refused.detail).toMatch(/24 hours/);
    expect(await statusOf(late.id)).toBe('no_show');
  });
});

describe('noShowCount', () => {
  it('doctors and admins see a patient’s no-shows with every doctor; the patient does not', async () => {
    const [doctor, otherDoctor] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'doctor')]);
    const [patient, otherPatient] = await Promise.all([loginAs(t, 'patient', { lastName: 'Noshowtest' }), loginAs(t, 'patient', { lastName: 'Noshowtest' })]);
    for (const [who, by] of [[patient, doctor], [patient, otherDoctor], [otherPatient, otherDoctor]] as const) {
      const appointment = await confirmedStartedAgo(by, who, 30);
      expect((await setStatus(t, by, appointment.id, 'no_show')).statusCode).toBe(200);
    }
    // What makes them the doctors' patients: an upcoming confirmed appointment each.
    expect((await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${localDate(2)}T09:00:00Z` })).statusCode).toBe(201);
    expect((await bookForPatient(t, otherDoctor, { patientId: otherPatient.profileId, startsAt: `${localDate(2)}T09:00:00Z` })).statusCode).toBe(201);

    const byAdmin = await call(t.app, 'GET', `patient/patients/${patient.profileId}/`, { headers: admin.headers });
    expect(byAdmin.json()).toMatchObject({ id: patient.profileId, noShowCount: 2 });
    const list = await call(t.app, 'GET', 'patient/patients/?search=Noshowtest&pageSize=100', { headers: admin.headers });
    const counts = Object.fromEntries(list.json<{ results: { id: string; noShowCount: number }[] }>().results.map((p) => [p.id, p.noShowCount]));
    expect(counts[patient.profileId]).toBe(2);
    expect(counts[otherPatient.profileId]).toBe(1);

    // A doctor sees the count over every doctor, for their own patients only.
    expect((await call(t.app, 'GET', `patient/patients/${patient.user.email}/`, { headers: doctor.headers })).json()).toMatchObject({ noShowCount: 2 });
    const doctorList = await call(t.app, 'GET', 'patient/patients/', { headers: otherDoctor.headers });
    expect(doctorList.json<{ results: { id: string; noShowCount: number }[] }>().results).toEqual([
      expect.objectContaining({ id: otherPatient.profileId, noShowCount: 1 }),
    ]);
    expectProblem(await call(t.app, 'GET', `patient/patients/${otherPatient.profileId}/`, { headers: doctor.headers }), 404, 'not_found');

    // A patient with none: 0, not absent.
    const fresh = await loginAs(t, 'patient');
    expect((await call(t.app, 'GET', `patient/patients/${fresh.profileId}/`, { headers: admin.headers })).json()).toMatchObject({ noShowCount: 0 });

    // The patient's own views carry no count.
    const own = await call(t.app, 'GET', 'patient/patients/me/', { headers: patient.headers });
    expect(own.statusCode).toBe(200);
    expect(own.json()).not.toHaveProperty('noShowCount');
    const ownById = await call(t.app, 'GET', `patient/patients/${patient.profileId}/`, { headers: patient.headers });
    expect(ownById.statusCode).toBe(200);
    expect(ownById.json()).not.toHaveProperty('noShowCount');
  });
});

describe('confirmAfterNoShows', () => {
  it('an auto-confirming doctor’s booking starts pending for a patient with that many no-shows with that doctor', async () => {
    const [doctor, otherDoctor] = await Promise.all([loginAs(t, 'doctor', { autoConfirm: true }), loginAs(t, 'doctor', { autoConfirm: true })]);
    const [patient, otherPatient] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    for (const who of [doctor, otherDoctor]) await addDailyWindows(t.db, who.profileId, '08:00', '12:00', 30);
    await putRules(t, doctor, { confirmAfterNoShows: 2 });
    await putRules(t, otherDoctor, { confirmAfterNoShows: 1 });
    const missed = async (by: Actor<'doctor'>, who: Actor<'patient'>) => {
      const appointment = await confirmedStartedAgo(by, who, 30);
      expect((await setStatus(t, by, appointment.id, 'no_show')).statusCode).toBe(200);
      return appointment.id;
    };
    // patient: one no-show with each doctor; otherPatient: two with otherDoctor.
    await missed(doctor, patient);
    await missed(otherDoctor, patient);
    await missed(otherDoctor, otherPatient);
    await missed(otherDoctor, otherPatient);

    const bookAt = async (who: Actor<'patient'>, with_: Actor<'doctor'>, day: number, time: string) => {
      const response = await book(t, who, { doctorId: with_.profileId, startsAt: `${localDate(day)}T${time}:00.000Z` });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<Appointment>().status;
    };
    // One no-show with doctor (who asks for two): still confirmed; otherPatient has none with doctor.
    expect(await bookAt(patient, doctor, 3, '08:00')).toBe('confirmed');
    expect(await bookAt(otherPatient, doctor, 3, '08:30')).toBe('confirmed');
    // otherDoctor asks for confirmation after one: both wait for the doctor.
    expect(await bookAt(patient, otherDoctor, 3, '08:00')).toBe('pending');
    expect(await bookAt(otherPatient, otherDoctor, 3, '08:30')).toBe('pending');
    // A second no-show with doctor reaches its two.
    await missed(doctor, patient);
    expect(await bookAt(patient, doctor, 4, '08:00')).toBe('pending');
    // A corrected no-show no longer counts: two with doctor, one of them corrected.
    await missed(doctor, otherPatient);
    const corrected = await missed(doctor, otherPatient);
    expect((await setStatus(t, doctor, corrected, 'completed')).statusCode).toBe(200);
    expect(await bookAt(otherPatient, doctor, 4, '08:30')).toBe('confirmed');
    // Doctors booking for a patient are not affected.
    expect((await bookForPatient(t, otherDoctor, { patientId: otherPatient.profileId, startsAt: `${localDate(4)}T09:00:00Z` })).json()).toMatchObject({ status: 'confirmed' });
  });
});
