// Booking through the API: patients book offered slots, doctors book for patients, patients ask
// for other times; no double booking under concurrency; invitations; roles and validation.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, freeSlots, invitationOf, localDate, mailTo, type Appointment } from '../../helpers/scheduling.ts';

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
  await addDailyWindows(t.db, doctor.profileId, '08:00', '18:00', 30);
});

const day = (n: number) => localDate(n);

describe('patients book free slots', () => {
  it('books an offered slot: 201 pending, the doctor is mailed, the slot is gone, both sides see it, nobody else does', async () => {
    const [slot] = await freeSlots(t, doctor.profileId, day(2), day(2), patient.headers);
    const response = await book(t, patient, { doctorId: doctor.profileId, startsAt: slot!.startsAt, type: 'online', reason: 'Check-up' });
    expect(response.statusCode, response.body).toBe(201);
    const appointment = response.json<Appointment>();
    expect(appointment).toMatchObject({
      patient: { id: patient.profileId, firstName: 'Jane', email: patient.user.email },
      doctor: { id: doctor.profileId, firstName: 'Grey' },
      startsAt: slot!.startsAt,
      endsAt: slot!.endsAt,
      type: 'online',
      reason: 'Check-up',
      status: 'pending',
      statusHistory: [{ status: 'pending', by: { role: 'patient', id: patient.profileId, firstName: 'Jane' }, note: null }],
    });
    const mail = await mailTo(t, doctor.user.email, 'awaiting confirmation');
    expect(mail.text).toContain('Jane');
    expect(mail.attachments ?? []).toEqual([]);

    const after = await freeSlots(t, doctor.profileId, day(2), day(2), patient.headers);
    expect(after.map((s) => s.startsAt)).not.toContain(slot!.startsAt);

    expect((await call(t.app, 'GET', `appointment/patient/${appointment.id}/`, { headers: patient.headers })).json()).toEqual(appointment);
    expectProblem(await call(t.app, 'GET', `appointment/patient/${appointment.id}/`, { headers: otherPatient.headers }), 404, 'not_found');
    const patientList = await call(t.app, 'GET', 'appointment/patient/', { headers: patient.headers });
    expect(patientList.json<{ results: Appointment[] }>().results.map((a) => a.id)).toContain(appointment.id);
    const otherList = await call(t.app, 'GET', 'appointment/patient/', { headers: otherPatient.headers });
    expect(otherList.json()).toMatchObject({ count: 0, results: [] });
    const doctorList = await call(t.app, 'GET', 'appointment/doctor/', { headers: doctor.headers });
    expect(doctorList.json<{ results: Appointment[] }>().results.map((a) => a.id)).toContain(appointment.id);
    expect((await call(t.app, 'GET', 'appointment/doctor/', { headers: otherDoctor.headers })).json()).toMatchObject({ count: 0 });
  });

  it('a doctor who auto-confirms: 201 confirmed, and the doctor’s mail carries a METHOD:REQUEST invitation', async () => {
    const auto = await loginAs(t, 'doctor', { autoConfirm: true, timezone: 'Europe/Paris' });
    await addDailyWindows(t.db, auto.profileId, '09:00', '12:00', 60);
    const [slot] = await freeSlots(t, auto.profileId, localDate(3, 'Europe/Paris'), localDate(3, 'Europe/Paris'), patient.headers);
    const response = await book(t, patient, { doctorId: auto.profileId, startsAt: slot!.startsAt });
    expect(response.statusCode, response.body).toBe(201);
    const appointment = response.json<Appointment>();
    expect(appointment).toMatchObject({ status: 'confirmed', type: 'in_person', reason: '' });
    const mail = await mailTo(t, auto.user.email, 'confirmed', appointment.id);
    expect(mail.text).toContain('(Europe/Paris)');
    const { method, event } = invitationOf(mail);
    expect(method).toBe('REQUEST');
    expect(event.uid).toBe(`${appointment.id}@clinic-api`);
    expect(Number(event.sequence)).toBe(0);
    expect(event.start.toISOString()).toBe(new Date(slot!.startsAt).toISOString());
    expect(event.end!.toISOString()).toBe(new Date(slot!.endsAt).toISOString());
  });

  it('refuses taken, past, unoffered and off-grid times with 409 slot_unavailable; unknown doctor 404; not accepting 409', async () => {
    const slots = await freeSlots(t, doctor.profileId, day(4), day(4), patient.headers);
    const first = await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt });
    expect(first.statusCode).toBe(201);
    expectProblem(await book(t, otherPatient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }), 409, 'slot_unavailable');
    const offGrid = new Date(new Date(slots[1]!.startsAt).getTime() + 10 * 60_000).toISOString();
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: offGrid }), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: `${day(4)}T03:00:00Z` }), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: `${day(-3)}T09:00:00Z` }), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: otherDoctor.profileId, startsAt: slots[1]!.startsAt }), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: '00000000-0000-4000-8000-000000000000', startsAt: slots[1]!.startsAt }), 404, 'not_found');
    const closed = await loginAs(t, 'doctor', { acceptingPatients: false });
    await addDailyWindows(t.db, closed.profileId, '08:00', '18:00', 30);
    expectProblem(await book(t, patient, { doctorId: closed.profileId, startsAt: slots[1]!.startsAt }), 409, 'slot_unavailable');
    // Time off takes the slot away too.
    await t.db.doctorTimeOff.create({ data: { doctorId: doctor.profileId, startsAt: new Date(slots[2]!.startsAt), endsAt: new Date(slots[3]!.endsAt) } });
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[3]!.startsAt }), 409, 'slot_unavailable');
  });

  it('back-to-back slots both succeed', async () => {
    const slots = await freeSlots(t, doctor.profileId, day(5), day(5), patient.headers);
    expect(slots[0]!.endsAt).toBe(slots[1]!.startsAt);
    const [a, b] = await Promise.all([
      book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }),
      book(t, otherPatient, { doctorId: doctor.profileId, startsAt: slots[1]!.startsAt }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
  });

  it('50 concurrent bookings of one slot: exactly one 201, the rest 409 slot_unavailable (20 rounds)', async () => {
    // Four groups of five patients take turns, so nobody passes the cap of 5 upcoming bookings per doctor.
    const patients = await Promise.all(Array.from({ length: 20 }, () => loginAs(t, 'patient')));
    const slots = await freeSlots(t, doctor.profileId, day(6), day(7), patient.headers);
    const started = Date.now();
    for (let round = 0; round < 20; round += 1) {
      const slot = slots[round]!;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => book(t, patients[(round % 4) * 5 + (i % 5)]!, { doctorId: doctor.profileId, startsAt: slot.startsAt })),
      );
      const codes = results.map((r) => r.statusCode);
      const unexpected = results.filter((r) => r.statusCode !== 201 && r.statusCode !== 409).map((r) => r.body);
      expect(unexpected, `round ${round}`).toEqual([]);
      expect(codes.filter((c) => c === 201), `round ${round}`).toHaveLength(1);
      for (const r of results.filter((r) => r.statusCode === 409)) expect(r.json().code).toBe('slot_unavailable');
    }
    const active = await t.db.appointment.count({
      where: { doctorId: doctor.profileId, startsAt: { in: slots.slice(0, 20).map((s) => new Date(s.startsAt)) } },
    });
    expect(active).toBe(20);
    console.info(`50 concurrent bookings × 20 rounds took ${Date.now() - started} ms`);
    // Correctness under contention, not speed: a busy machine may take a while for 1,000 bookings.
  }, 240_000);

  it('validates bodies: strict, control characters, bad instants', async () => {
    const [slot] = await freeSlots(t, doctor.profileId, day(8), day(8), patient.headers);
    const ok = { doctorId: doctor.profileId, startsAt: slot!.startsAt };
    expectFieldError(await book(t, patient, { ...ok, status: 'confirmed' }), 'status');
    expectFieldError(await book(t, patient, { ...ok, patientId: patient.profileId }), 'patientId');
    expectFieldError(await book(t, patient, { ...ok, reason: 'a\u0000b' }), 'reason');
    expectFieldError(await book(t, patient, { ...ok, startsAt: 'tomorrow' }), 'startsAt');
    expectFieldError(await book(t, patient, { ...ok, startsAt: '2030-01-01T10:00:00' }), 'startsAt');
    expectFieldError(await book(t, patient, { ...ok, type: 'phone' }), 'type');
    expectFieldError(await book(t, patient, { ...ok, doctorId: 'x' }), 'doctorId');
  });
});

describe('doctors book for patients', () => {
  it('books by patient id or email: 201 confirmed, the patient gets an invitation; past walk-ins are fine; overlaps are 409', async () => {
    const startsAt = `${day(10)}T07:00:00.000Z`;
    const byId = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt, reason: 'Follow-up' });
    expect(byId.statusCode, byId.body).toBe(201);
    const appointment = byId.json<Appointment>();
    expect(appointment).toMatchObject({ status: 'confirmed', startsAt, endsAt: `${day(10)}T07:30:00.000Z`, statusHistory: [{ status: 'confirmed', by: { role: 'doctor', id: doctor.profileId } }] });
    const mail = await mailTo(t, patient.user.email, 'confirmed', appointment.id);
    const { method, event } = invitationOf(mail);
    expect(method).toBe('REQUEST');
    expect(event.uid).toBe(`${appointment.id}@clinic-api`);

    const byEmail = await bookForPatient(t, doctor, {
      patientEmail: otherPatient.user.email.toUpperCase(),
      startsAt: `${day(10)}T07:30:00Z`,
      endsAt: `${day(10)}T08:15:00Z`,
      type: 'online',
    });
    expect(byEmail.statusCode, byEmail.body).toBe(201);
    expect(byEmail.json()).toMatchObject({ patient: { id: otherPatient.profileId }, endsAt: `${day(10)}T08:15:00.000Z`, type: 'online' });

    expectProblem(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(10)}T08:00:00Z` }), 409, 'slot_unavailable');
    const walkIn = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(-2)}T10:00:00Z`, endsAt: `${day(-2)}T10:20:00Z` });
    expect(walkIn.statusCode).toBe(201);
    expect(walkIn.json().status).toBe('confirmed');
    // Another doctor's calendar is separate.
    expect((await bookForPatient(t, otherDoctor, { patientId: patient.profileId, startsAt })).statusCode).toBe(201);
  });

  it('validates: exactly one patient reference, known patients, order of times, strict bodies', async () => {
    const startsAt = `${day(11)}T07:00:00Z`;
    expectFieldError(await bookForPatient(t, doctor, { startsAt }), 'patientId');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, patientEmail: patient.user.email, startsAt }), 'patientId');
    expectProblem(await bookForPatient(t, doctor, { patientId: '00000000-0000-4000-8000-000000000000', startsAt }), 404, 'not_found');
    expectProblem(await bookForPatient(t, doctor, { patientEmail: 'nobody@example.com', startsAt }), 404, 'not_found');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt, endsAt: startsAt }), 'endsAt');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt, endsAt: `${day(12)}T07:00:00Z` }), 'endsAt');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt, status: 'pending' }), 'status');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt, reason: 'x\u001bx' }), 'reason');
  });
});

describe('patients ask for a time that is not offered', () => {
  it('POST doctor/available-times-patient/: 201 requested, the doctor is mailed; requests hold no time, so an overlapping one is 201 too; past times 409', async () => {
    const payload = { doctorId: doctor.profileId, startsAt: `${day(12)}T05:10:00Z`, endsAt: `${day(12)}T05:40:00Z`, reason: 'Early please' };
    const response = await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: patient.headers, payload });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ status: 'requested', startsAt: `${day(12)}T05:10:00.000Z`, reason: 'Early please' });
    await mailTo(t, doctor.user.email, 'requested', 'Early please');
    const overlapping = { ...payload, startsAt: `${day(12)}T05:30:00Z`, endsAt: `${day(12)}T06:00:00Z` };
    expect((await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: otherPatient.headers, payload: overlapping })).statusCode).toBe(201);
    expectProblem(
      await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: patient.headers, payload: { ...payload, startsAt: `${day(-1)}T05:10:00Z`, endsAt: `${day(-1)}T05:40:00Z` } }),
      409,
      'slot_unavailable',
    );
    expectFieldError(await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: patient.headers, payload: { ...payload, endsAt: payload.startsAt } }), 'endsAt');
    expectFieldError(await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: patient.headers, payload: { ...payload, status: 'confirmed' } }), 'status');
    expectProblem(await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: doctor.headers, payload }), 403, 'forbidden');
  });
});

describe('roles', () => {
  it('patients cannot use doctor routes, doctors cannot use patient routes, anonymous callers are refused', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectProblem(await call(t.app, 'GET', 'appointment/doctor/', { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', 'appointment/doctor/', { headers: patient.headers, payload: {} }), 403, 'forbidden');
    expectProblem(await call(t.app, 'PATCH', `appointment/doctor/${id}/update_status/`, { headers: patient.headers, payload: { status: 'confirmed' } }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'appointment/patient/', { headers: doctor.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', 'appointment/patient/', { headers: doctor.headers, payload: {} }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', `appointment/patient/${id}/`, { headers: doctor.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', `appointment/patient/${id}/cancel/`, { headers: doctor.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'appointment/patient/'), 401, 'unauthorized');
    expectProblem(await call(t.app, 'POST', 'appointment/patient/', { payload: {} }), 401, 'unauthorized');
    expectProblem(await call(t.app, 'GET', `appointment/patient/${id}/`, { headers: patient.headers }), 404, 'not_found');
    // Admins are neither party: the appointment routes are not theirs.
    const admin = await loginAs(t, 'admin');
    expectProblem(await call(t.app, 'GET', 'appointment/patient/', { headers: admin.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'appointment/doctor/', { headers: admin.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', 'doctor/available-times-patient/', { headers: admin.headers, payload: {} }), 403, 'forbidden');
  });
});
