// Rescheduling in one transaction, the cancellation policy, and the calendar identity of a
// reschedule chain.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import {
  addDailyWindows,
  book,
  bookForPatient,
  call,
  freeSlots,
  hold,
  invitationOf,
  localDate,
  mailTo,
  putRules,
  setStatus,
  type Appointment,
} from '../../helpers/scheduling.ts';

const t = useTestApp();
let doctor: Actor<'doctor'>;

beforeAll(async () => {
  doctor = await loginAs(t, 'doctor', { autoConfirm: true });
  await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00', 30);
});

const day = (n: number) => localDate(n);

function reschedule(who: Actor<'patient'> | Actor<'doctor'>, id: string, payload: Record<string, unknown>) {
  const path = who.user.role === 'doctor' ? `appointment/doctor/${id}/reschedule/` : `appointment/patient/${id}/reschedule/`;
  return call(t.app, 'POST', path, { headers: who.headers, payload });
}

async function bookAt(patient: Actor<'patient'>, startsAt: string): Promise<Appointment> {
  const response = await book(t, patient, { doctorId: doctor.profileId, startsAt });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Appointment>();
}

describe('patients reschedule', () => {
  it('moves a confirmed appointment in one step: linked both ways, same status, the old time free again; both parties get one invitation with the same UID and a higher SEQUENCE', async () => {
    const patient = await loginAs(t, 'patient');
    const old = await bookAt(patient, `${day(2)}T08:00:00.000Z`);
    expect(old.status).toBe('confirmed');
    const first = invitationOf(await mailTo(t, doctor.user.email, 'confirmed', old.id));

    const response = await reschedule(patient, old.id, { startsAt: `${day(2)}T09:00:00.000Z`, reason: 'Train times' });
    expect(response.statusCode, response.body).toBe(201);
    const moved = response.json<Appointment & { rescheduledFromId: string; rescheduledToId: string | null }>();
    expect(moved).toMatchObject({ status: 'confirmed', startsAt: `${day(2)}T09:00:00.000Z`, rescheduledFromId: old.id, rescheduledToId: null });
    const before = (await call(t.app, 'GET', `appointment/patient/${old.id}/`, { headers: patient.headers })).json<Appointment & { rescheduledToId: string }>();
    expect(before).toMatchObject({ status: 'rescheduled', rescheduledToId: moved.id });
    expect(before.statusHistory.at(-1)).toMatchObject({ status: 'rescheduled', by: { role: 'patient', id: patient.profileId }, note: 'Train times' });

    const starts = (await freeSlots(t, doctor.profileId, day(2), day(2), {})).map((slot) => slot.startsAt);
    expect(starts).toContain(`${day(2)}T08:00:00.000Z`);
    expect(starts).not.toContain(`${day(2)}T09:00:00.000Z`);

    for (const email of [doctor.user.email, patient.user.email]) {
      const { method, event } = invitationOf(await mailTo(t, email, 'confirmed', 'Moved from'));
      expect(method).toBe('REQUEST');
      expect(event.uid).toBe(first.event.uid);
      expect(Number(event.sequence)).toBeGreaterThan(Number(first.event.sequence));
      expect(event.start.toISOString()).toBe(new Date(moved.startsAt).toISOString());
    }
    const reminder = await t.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'appointments.reminder' AND data->>'appointmentId' = ${moved.id}`;
    expect(reminder[0]!.n).toBe(1);
    expectProblem(await reschedule(patient, old.id, { startsAt: `${day(2)}T10:00:00.000Z` }), 422, 'invalid_transition');
  });

  it('a taken, unoffered or past time answers 409 and changes nothing; another patient’s appointment is 404', async () => {
    const [patient, rival] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    const mine = await bookAt(patient, `${day(3)}T08:00:00.000Z`);
    await bookAt(rival, `${day(3)}T09:00:00.000Z`);
    expectProblem(await reschedule(patient, mine.id, { startsAt: `${day(3)}T09:00:00.000Z` }), 409, 'slot_unavailable');
    expectProblem(await reschedule(patient, mine.id, { startsAt: `${day(3)}T09:10:00.000Z` }), 409, 'slot_unavailable');
    expectProblem(await reschedule(patient, mine.id, { startsAt: `${day(-1)}T09:00:00.000Z` }), 409, 'slot_unavailable');
    expectProblem(await reschedule(rival, mine.id, { startsAt: `${day(3)}T10:00:00.000Z` }), 404, 'not_found');
    expectFieldError(await reschedule(patient, mine.id, {}), 'startsAt');
    expectFieldError(await reschedule(patient, mine.id, { startsAt: '9999-12-31T20:00:00-12:00' }), 'startsAt');
    const row = await t.db.appointment.findUniqueOrThrow({ where: { id: mine.id }, select: { status: true } });
    expect(row.status).toBe('confirmed');
    expect(await t.db.appointment.count({ where: { rescheduledFromId: mine.id } })).toBe(0);
  });

  it('moves to the slot of the patient’s hold, spending it', async () => {
    const patient = await loginAs(t, 'patient');
    const mine = await bookAt(patient, `${day(4)}T08:00:00.000Z`);
    const held = await hold(t, patient, { doctorId: doctor.profileId, startsAt: `${day(4)}T11:00:00.000Z` });
    const response = await reschedule(patient, mine.id, { holdId: held.json<{ id: string }>().id });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ startsAt: `${day(4)}T11:00:00.000Z` });
    expect(await t.db.slotHold.count({ where: { patientId: patient.profileId } })).toBe(0);
  });

  it('a reschedule and a booking racing for one slot: exactly one wins, and a lost reschedule leaves the appointment as it was', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [patient, rival] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
      const mine = await bookAt(patient, `${day(10 + round)}T08:00:00.000Z`);
      const target = `${day(10 + round)}T10:00:00.000Z`;
      const [moved, booked] = await Promise.all([reschedule(patient, mine.id, { startsAt: target }), book(t, rival, { doctorId: doctor.profileId, startsAt: target })]);
      expect([moved.statusCode, booked.statusCode].sort()).toEqual([201, 409]);
      const status = (await t.db.appointment.findUniqueOrThrow({ where: { id: mine.id }, select: { status: true } })).status;
      expect(status).toBe(moved.statusCode === 201 ? 'rescheduled' : 'confirmed');
    }
  });
});

describe('cancellation policy and reschedule limits', () => {
  it('inside cancelNoticeMinutes a patient can neither cancel nor reschedule (422 policy_violation); the doctor can, and a late cancel is recorded', async () => {
    const strict = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, strict.profileId, '00:00', '24:00', 60);
    await putRules(t, strict, { cancelNoticeMinutes: 3 * 24 * 60 });
    const patient = await loginAs(t, 'patient');
    const soon = await bookForPatient(t, strict, { patientId: patient.profileId, startsAt: `${day(1)}T12:00:00Z` });
    const id = soon.json<Appointment>().id;
    expectProblem(await call(t.app, 'POST', `appointment/patient/${id}/cancel/`, { headers: patient.headers }), 422, 'policy_violation');
    expectProblem(await reschedule(patient, id, { startsAt: `${day(6)}T12:00:00.000Z` }), 422, 'policy_violation');
    const cancelled = await setStatus(t, strict, id, 'cancelled');
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', lateCancel: true });

    const later = await bookForPatient(t, strict, { patientId: patient.profileId, startsAt: `${day(8)}T12:00:00Z` });
    const fine = await call(t.app, 'POST', `appointment/patient/${later.json<Appointment>().id}/cancel/`, { headers: patient.headers });
    expect(fine.json()).toMatchObject({ status: 'cancelled', lateCancel: false });
  });

  it('a chain longer than maxReschedules is refused to the patient, not to the doctor', async () => {
    const limited = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, limited.profileId, '08:00', '12:00', 60);
    await putRules(t, limited, { maxReschedules: 1 });
    const patient = await loginAs(t, 'patient');
    const first = await book(t, patient, { doctorId: limited.profileId, startsAt: `${day(5)}T08:00:00.000Z` });
    const second = await reschedule(patient, first.json<Appointment>().id, { startsAt: `${day(5)}T09:00:00.000Z` });
    expect(second.statusCode, second.body).toBe(201);
    expectProblem(await reschedule(patient, second.json<Appointment>().id, { startsAt: `${day(5)}T10:00:00.000Z` }), 422, 'policy_violation');
    // The doctor may move it anywhere free, even over its own old time (the old time is let go first).
    const byDoctor = await reschedule(limited, second.json<Appointment>().id, { startsAt: `${day(5)}T09:15:00Z` });
    expect(byDoctor.statusCode, byDoctor.body).toBe(201);
    expect(byDoctor.json()).toMatchObject({ startsAt: `${day(5)}T09:15:00.000Z`, endsAt: `${day(5)}T10:15:00.000Z`, status: 'pending' });
  });
});
