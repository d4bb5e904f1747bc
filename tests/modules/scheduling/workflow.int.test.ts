// The status workflow through the API: allowed and refused moves, history, timing rules,
// cancellation, notifications with invitations, lists with filters, object-level access.
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { bookForPatient, call, invitationOf, localDate, mailTo, setStatus, type Appointment } from '../../helpers/scheduling.ts';

const t = useTestApp();
let doctor: Actor<'doctor'>;
let otherDoctor: Actor<'doctor'>;
let patient: Actor<'patient'>;
let otherPatient: Actor<'patient'>;

beforeAll(async () => {
  [doctor, otherDoctor, patient, otherPatient] = await Promise.all([
    loginAs(t, 'doctor', { firstName: 'Grey' }),
    loginAs(t, 'doctor'),
    loginAs(t, 'patient', { firstName: 'Jane' }),
    loginAs(t, 'patient'),
  ]);
});

let hourCounter = 0;
/** A fresh hour in the future (or past with a negative day) so tests never collide. */
function nextTime(days = 3): { startsAt: string; endsAt: string } {
  hourCounter += 1;
  const start = new Date(`${localDate(days)}T00:00:00Z`).getTime() + hourCounter * 3_600_000;
  return { startsAt: new Date(start).toISOString(), endsAt: new Date(start + 1_800_000).toISOString() };
}

/** An appointment in a given starting status, made the way the API makes it. */
async function appointmentIn(status: 'requested' | 'pending' | 'confirmed', days = 3, who = patient): Promise<Appointment> {
  const time = nextTime(days);
  if (status === 'confirmed') {
    const response = await bookForPatient(t, doctor, { patientId: who.profileId, ...time });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<Appointment>();
  }
  const response = await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: who.headers, payload: { doctorId: doctor.profileId, ...time } });
  expect(response.statusCode, response.body).toBe(201);
  const requested = response.json<Appointment>();
  if (status === 'requested') return requested;
  const moved = await setStatus(t, doctor, requested.id, 'pending');
  expect(moved.statusCode, moved.body).toBe(200);
  return moved.json<Appointment>();
}

describe('status workflow', () => {
  it('requested → pending → confirmed → cancelled, recorded in statusHistory with who and the note', async () => {
    const requested = await appointmentIn('requested');
    const pending = await setStatus(t, doctor, requested.id, 'pending', 'Works for me');
    expect(pending.json()).toMatchObject({ status: 'pending' });
    const confirmed = await setStatus(t, doctor, requested.id, 'confirmed');
    expect(confirmed.statusCode).toBe(200);
    const cancelled = await setStatus(t, doctor, requested.id, 'cancelled', 'Ill');
    const body = cancelled.json<Appointment>();
    expect(body.status).toBe('cancelled');
    expect(body.statusHistory.map((h) => [h.status, h.by.role, h.by.id, h.note])).toEqual([
      ['requested', 'patient', patient.profileId, null],
      ['pending', 'doctor', doctor.profileId, 'Works for me'],
      ['confirmed', 'doctor', doctor.profileId, null],
      ['cancelled', 'doctor', doctor.profileId, 'Ill'],
    ]);
    expect(body.statusHistory[0]!.by).toEqual({ role: 'patient', id: patient.profileId, firstName: 'Jane', lastName: 'User' });
    expect(body.statusHistory[1]!.by).toEqual({ role: 'doctor', id: doctor.profileId, firstName: 'Grey', lastName: 'User' });
  });

  it('refuses moves the workflow does not allow with 422 invalid_transition', async () => {
    const requested = await appointmentIn('requested');
    expectProblem(await setStatus(t, doctor, requested.id, 'confirmed'), 422, 'invalid_transition');
    expectProblem(await setStatus(t, doctor, requested.id, 'cancelled'), 422, 'invalid_transition');
    expect((await setStatus(t, doctor, requested.id, 'rejected')).statusCode).toBe(200);
    for (const status of ['pending', 'confirmed', 'cancelled', 'completed', 'rejected', 'requested']) {
      expectProblem(await setStatus(t, doctor, requested.id, status), 422, 'invalid_transition');
    }
    const pending = await appointmentIn('pending');
    expectProblem(await setStatus(t, doctor, pending.id, 'completed'), 422, 'invalid_transition');
    expectProblem(await setStatus(t, doctor, pending.id, 'requested'), 422, 'invalid_transition');
    expect((await setStatus(t, doctor, pending.id, 'rejected')).statusCode).toBe(200);
  });

  it('completed and no_show only once the appointment has started (fake clock)', async () => {
    const confirmed = await appointmentIn('confirmed', 1);
    const other = await appointmentIn('confirmed', -1);
    expectProblem(await setStatus(t, doctor, confirmed.id, 'completed'), 422, 'invalid_transition');
    expectProblem(await setStatus(t, doctor, confirmed.id, 'no_show'), 422, 'invalid_transition');
    t.clock.advance(new Date(confirmed.startsAt).getTime() - t.clock.now().getTime() + 60_000);
    try {
      const headers = bearer(await login(t.app, doctor.user));
      const done = await call(t.app, 'PATCH', `appointment/doctor/${confirmed.id}/update_status/`, { headers, payload: { status: 'completed' } });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().status).toBe('completed');
      const missed = await call(t.app, 'PATCH', `appointment/doctor/${other.id}/update_status/`, { headers, payload: { status: 'no_show' } });
      expect(missed.json().status).toBe('no_show');
      expectProblem(await call(t.app, 'PATCH', `appointment/doctor/${other.id}/update_status/`, { headers, payload: { status: 'cancelled' } }), 422, 'invalid_transition');
    } finally {
      t.clock.reset();
    }
  });

  it('another doctor’s appointment is 404 for update_status; bodies are strict', async () => {
    const confirmed = await appointmentIn('confirmed');
    expectProblem(await setStatus(t, otherDoctor, confirmed.id, 'cancelled'), 404, 'not_found');
    expectProblem(await setStatus(t, doctor, '00000000-0000-4000-8000-000000000000', 'cancelled'), 404, 'not_found');
    expectFieldError(await setStatus(t, doctor, confirmed.id, 'archived'), 'status');
    expectFieldError(await setStatus(t, doctor, confirmed.id, 'cancelled', 'bad\u0000note'), 'note');
    expectFieldError(
      await call(t.app, 'PATCH', `appointment/doctor/${confirmed.id}/update_status/`, { headers: doctor.headers, payload: { status: 'cancelled', startsAt: confirmed.startsAt } }),
      'startsAt',
    );
    expect((await t.db.appointment.findUniqueOrThrow({ where: { id: confirmed.id } })).status).toBe('confirmed');
  });
});

describe('patients cancel', () => {
  it('cancels requested, pending and confirmed appointments; twice is 422; others’ appointments are 404', async () => {
    for (const status of ['requested', 'pending', 'confirmed'] as const) {
      const appointment = await appointmentIn(status);
      expectProblem(await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: otherPatient.headers }), 404, 'not_found');
      const cancelled = await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: patient.headers, payload: { reason: 'Feeling better' } });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      const body = cancelled.json<Appointment>();
      expect(body.status).toBe('cancelled');
      expect(body.statusHistory.at(-1)).toMatchObject({ status: 'cancelled', by: { role: 'patient', id: patient.profileId }, note: 'Feeling better' });
      expectProblem(await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel`, { headers: patient.headers }), 422, 'invalid_transition');
    }
    const rejected = await appointmentIn('requested');
    await setStatus(t, doctor, rejected.id, 'rejected');
    expectProblem(await call(t.app, 'POST', `appointment/patient/${rejected.id}/cancel/`, { headers: patient.headers, payload: {} }), 422, 'invalid_transition');
    expectFieldError(await call(t.app, 'POST', `appointment/patient/${rejected.id}/cancel/`, { headers: patient.headers, payload: { status: 'x' } }), 'status');
    expectFieldError(await call(t.app, 'POST', `appointment/patient/${rejected.id}/cancel/`, { headers: patient.headers, payload: { reason: '\u0001' } }), 'reason');
  });

  it('a cancelled time is free again', async () => {
    const appointment = await appointmentIn('confirmed');
    await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: patient.headers });
    const again = await bookForPatient(t, doctor, { patientId: otherPatient.profileId, startsAt: appointment.startsAt, endsAt: appointment.endsAt });
    expect(again.statusCode).toBe(201);
  });
});

describe('notifications', () => {
  it('each change mails the other party; confirmations carry REQUEST, cancellations CANCEL, the same UID and a growing SEQUENCE', async () => {
    const requested = await appointmentIn('requested');
    const toDoctor = await mailTo(t, doctor.user.email, 'requested');
    expect(toDoctor.attachments ?? []).toEqual([]);
    await setStatus(t, doctor, requested.id, 'pending');
    await mailTo(t, patient.user.email, 'awaiting confirmation');
    await setStatus(t, doctor, requested.id, 'confirmed', 'See you then');
    const confirmation = await mailTo(t, patient.user.email, 'confirmed', requested.id);
    expect(confirmation.text).toContain('See you then');
    expect(confirmation.text).toContain('Dr Grey');
    const request = invitationOf(confirmation);
    expect(request.method).toBe('REQUEST');
    expect(request.event.uid).toBe(`${requested.id}@clinic-api`);
    expect(Number(request.event.sequence)).toBe(2);
    await call(t.app, 'POST', `appointment/patient/${requested.id}/cancel/`, { headers: patient.headers });
    const cancellation = await mailTo(t, doctor.user.email, 'cancelled', requested.id);
    const cancel = invitationOf(cancellation);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.event.uid).toBe(request.event.uid);
    expect(Number(cancel.event.sequence)).toBe(3);
    expect(String(cancel.event.status)).toBe('CANCELLED');
  });

  it('user text cannot break the mail or the invitation', async () => {
    const time = nextTime();
    const response = await bookForPatient(t, doctor, { patientId: patient.profileId, ...time, reason: 'Pain;\nBEGIN:VEVENT,<b>x</b>' });
    expect(response.statusCode).toBe(201);
    const mail = await mailTo(t, patient.user.email, 'confirmed', response.json<Appointment>().id);
    expect(mail.html).not.toContain('<b>x</b>');
    const { event } = invitationOf(mail);
    expect(String(typeof event.description === 'object' ? event.description.val : event.description)).toContain('BEGIN:VEVENT');
  });
});

describe('lists', () => {
  it('filter by status and time, page, and show only the caller’s own', async () => {
    const lister = await loginAs(t, 'patient');
    const a = await appointmentIn('confirmed', 20, lister);
    const b = await appointmentIn('requested', 20, lister);
    const c = await appointmentIn('pending', 21, lister);
    const list = async (query: string, who: Actor = lister, as = 'patient') => {
      const response = await call(t.app, 'GET', `appointment/${as}/?${query}`, { headers: who.headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ count: number; next: string | null; previous: string | null; results: Appointment[] }>();
    };
    const ids = (page: { results: Appointment[] }) => page.results.map((x) => x.id);
    expect(ids(await list(''))).toEqual([a.id, b.id, c.id]);
    expect(ids(await list('status=confirmed'))).toEqual([a.id]);
    expect(ids(await list('status=requested,pending'))).toEqual([b.id, c.id]);
    expect(ids(await list(`from=${localDate(21)}`))).toEqual([c.id]);
    expect(ids(await list(`to=${localDate(20)}`))).toEqual([a.id, b.id]);
    expect(ids(await list(`from=${encodeURIComponent(b.startsAt)}&to=${encodeURIComponent(c.startsAt)}`))).toEqual([b.id]);
    const page = await list('pageSize=2&page=2&status=requested,pending,confirmed');
    expect(page).toMatchObject({ count: 3, next: null });
    expect(page.previous).toContain('page=1');
    expect(page.previous).toContain('status=requested');
    expect(ids(page)).toEqual([c.id]);
    expect(await list('page=9')).toMatchObject({ count: 3, results: [] });
    expectFieldError(await call(t.app, 'GET', 'appointment/patient/?status=archived', { headers: lister.headers }), 'query.status.0');
    expectFieldError(await call(t.app, 'GET', 'appointment/patient/?from=yesterday', { headers: lister.headers }), 'query.from');
    expectFieldError(await call(t.app, 'GET', 'appointment/patient/?pageSize=101', { headers: lister.headers }), 'query.pageSize');
    // The doctor's list has them too (among others); another doctor's has none of them.
    const doctorIds = ids(await list(`pageSize=100&from=${localDate(20)}&to=${localDate(21)}`, doctor, 'doctor'));
    expect(doctorIds).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
    expect(ids(await list('pageSize=100', otherDoctor, 'doctor'))).not.toContain(a.id);
  });
});
