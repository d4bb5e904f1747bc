// One patient cannot block a doctor's calendar (issue 18 M5): requested appointments hold no
// time and per-patient caps limit requests and bookings. Also: instants bounded at the schema
// (L2), free slots are public, and the status history names who changed it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, freeSlots, localDate, setStatus, type Appointment } from '../../helpers/scheduling.ts';

const t = useTestApp();
let doctor: Actor<'doctor'>;

beforeAll(async () => {
  doctor = await loginAs(t, 'doctor');
  await addDailyWindows(t.db, doctor.profileId, '08:00', '18:00', 60);
});

const day = (n: number) => localDate(n);

function ask(patient: Actor<'patient'>, doctorId: string, startsAt: string, endsAt: string) {
  return call(t.app, 'POST', 'doctor/available-times-patient/', { headers: patient.headers, payload: { doctorId, startsAt, endsAt } });
}

/** Pending appointments of `patient` with `doctorId` written straight into the database, one per hour of `date`. */
async function pendingInDatabase(patientId: string, doctorId: string, date: string, count: number): Promise<void> {
  for (let hour = 0; hour < count; hour += 1) {
    const startsAt = new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
    await t.db.appointment.create({
      data: { patientId, doctorId, startsAt, endsAt: new Date(startsAt.getTime() + 1_800_000), status: 'pending' },
      select: { id: true },
    });
  }
}

describe('requested appointments hold no time', () => {
  it('a 12-hour request leaves every free slot offered and bookable; moving it to pending takes the time, or 409 when it is taken', async () => {
    const [asker, booker] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    const before = await freeSlots(t, doctor.profileId, day(5), day(5), {});
    const asked = await ask(asker, doctor.profileId, `${day(5)}T06:00:00Z`, `${day(5)}T18:00:00Z`);
    expect(asked.statusCode, asked.body).toBe(201);
    expect(await freeSlots(t, doctor.profileId, day(5), day(5), {})).toEqual(before);

    const booked = await book(t, booker, { doctorId: doctor.profileId, startsAt: `${day(5)}T09:00:00.000Z` });
    expect(booked.statusCode, booked.body).toBe(201);
    expectProblem(await setStatus(t, doctor, asked.json<Appointment>().id, 'pending'), 409, 'slot_unavailable');
    expect((await t.db.appointment.findUniqueOrThrow({ where: { id: asked.json<Appointment>().id } })).status).toBe('requested');

    const free = await ask(asker, doctor.profileId, `${day(6)}T06:00:00Z`, `${day(6)}T07:00:00Z`);
    const moved = await setStatus(t, doctor, free.json<Appointment>().id, 'pending');
    expect(moved.statusCode, moved.body).toBe(200);
    const after = await freeSlots(t, doctor.profileId, day(6), day(6), {});
    expect(after.map((slot) => slot.startsAt)).not.toContain(`${day(6)}T06:00:00.000Z`);
    expectProblem(await book(t, booker, { doctorId: doctor.profileId, startsAt: `${day(6)}T06:00:00.000Z` }), 409, 'slot_unavailable');
  });
});

describe('per-patient caps (422 limit_reached)', () => {
  it('at most 3 requested appointments with one doctor and 10 in all; concurrent requests cannot slip past the cap', async () => {
    const patient = await loginAs(t, 'patient');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) => ask(patient, doctor.profileId, `${day(7)}T0${index}:00:00Z`, `${day(7)}T0${index}:30:00Z`)),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 201, 201, 422, 422, 422, 422, 422]);
    expectProblem(answers.find((answer) => answer.statusCode === 422)!, 422, 'limit_reached');
    expect(await t.db.appointment.count({ where: { patientId: patient.profileId, status: 'requested' } })).toBe(3);

    // A past time still answers 409: the slot is checked before the caps.
    expectProblem(await ask(patient, doctor.profileId, `${day(-1)}T05:00:00Z`, `${day(-1)}T06:00:00Z`), 409, 'slot_unavailable');

    const others = await Promise.all([1, 2, 3].map(() => loginAs(t, 'doctor')));
    for (const other of others.slice(0, 2)) {
      for (let hour = 0; hour < 3; hour += 1) {
        expect((await ask(patient, other.profileId, `${day(8)}T0${hour}:00:00Z`, `${day(8)}T0${hour}:30:00Z`)).statusCode).toBe(201);
      }
    }
    // Nine so far: the tenth is the last one allowed.
    expect((await ask(patient, others[2]!.profileId, `${day(8)}T00:00:00Z`, `${day(8)}T00:30:00Z`)).statusCode).toBe(201);
    expectProblem(await ask(patient, others[2]!.profileId, `${day(8)}T01:00:00Z`, `${day(8)}T01:30:00Z`), 422, 'limit_reached');

    // An answered request frees its place.
    const [first] = (await t.db.appointment.findMany({ where: { patientId: patient.profileId, doctorId: doctor.profileId }, select: { id: true } }));
    expect((await setStatus(t, doctor, first!.id, 'rejected')).statusCode).toBe(200);
    expect((await ask(patient, doctor.profileId, `${day(9)}T00:00:00Z`, `${day(9)}T00:30:00Z`)).statusCode).toBe(201);
  });

  it('at most 5 upcoming bookings with one doctor and 20 in all; a taken slot still answers 409; doctors booking for a patient are not bound', async () => {
    const [patient, rival] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient')]);
    const slots = await freeSlots(t, doctor.profileId, day(10), day(10), {});
    const answers = await Promise.all(slots.slice(0, 8).map((slot) => book(t, patient, { doctorId: doctor.profileId, startsAt: slot.startsAt })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 201, 201, 201, 201, 422, 422, 422]);
    expectProblem(answers.find((answer) => answer.statusCode === 422)!, 422, 'limit_reached');

    const taken = await book(t, rival, { doctorId: doctor.profileId, startsAt: slots[9]!.startsAt });
    expect(taken.statusCode).toBe(201);
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[9]!.startsAt }), 409, 'slot_unavailable');
    const forPatient = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(11)}T03:00:00Z` });
    expect(forPatient.statusCode, forPatient.body).toBe(201);

    const elsewhere = await Promise.all([1, 2, 3].map(() => loginAs(t, 'doctor')));
    // 6 with the doctor (one by the doctor), then 5 + 5 + 4 elsewhere: 20 upcoming in all.
    await pendingInDatabase(patient.profileId, elsewhere[0]!.profileId, day(12), 5);
    await pendingInDatabase(patient.profileId, elsewhere[1]!.profileId, day(12), 5);
    await pendingInDatabase(patient.profileId, elsewhere[2]!.profileId, day(12), 3);
    await addDailyWindows(t.db, elsewhere[2]!.profileId, '08:00', '12:00', 60);
    const [next, last] = await freeSlots(t, elsewhere[2]!.profileId, day(13), day(13), {});
    expect((await book(t, patient, { doctorId: elsewhere[2]!.profileId, startsAt: next!.startsAt })).statusCode).toBe(201);
    expectProblem(await book(t, patient, { doctorId: elsewhere[2]!.profileId, startsAt: last!.startsAt }), 422, 'limit_reached');
  });
});

describe('instants and dates are bounded (years 2000..2100)', () => {
  it('answers 400 naming the field, and nothing is created', async () => {
    const patient = await loginAs(t, 'patient');
    const far = '9999-12-31T20:00:00-12:00';
    expectFieldError(await ask(patient, doctor.profileId, far, '9999-12-31T21:00:00-12:00'), 'startsAt');
    expectFieldError(await book(t, patient, { doctorId: doctor.profileId, startsAt: far }), 'startsAt');
    expectFieldError(await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: '1999-12-31T23:00:00Z' }), 'startsAt');
    expectFieldError(
      await call(t.app, 'POST', 'doctor/time-off/', { headers: doctor.headers, payload: { startsAt: `${day(3)}T00:00:00Z`, endsAt: '2101-01-01T00:00:00Z' } }),
      'endsAt',
    );
    expectFieldError(await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${doctor.profileId}&from=2101-01-01&to=2101-01-02`), 'query.from');
    expectFieldError(await call(t.app, 'GET', 'appointment/patient/?from=9999-01-01', { headers: patient.headers }), 'query.from');
    expect(await t.db.appointment.count({ where: { patientId: patient.profileId } })).toBe(0);
  });
});

describe('free slots are public', () => {
  it('answers without a token, as with one', async () => {
    const anonymous = await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${doctor.profileId}&from=${day(20)}&to=${day(20)}`);
    expect(anonymous.statusCode, anonymous.body).toBe(200);
    const patient = await loginAs(t, 'patient');
    expect(anonymous.json()).toEqual(await freeSlots(t, doctor.profileId, day(20), day(20), patient.headers));
    expect(anonymous.json<unknown[]>().length).toBeGreaterThan(0);
  });
});

describe('statusHistory names who made each change', () => {
  it('the system (no user) and an admin by their account', async () => {
    const [patient, admin] = await Promise.all([loginAs(t, 'patient', { firstName: 'Ann' }), loginAs(t, 'admin', { firstName: 'Ada' })]);
    const booked = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(-2)}T03:00:00Z` });
    const id = booked.json<Appointment>().id;
    await t.db.appointmentStatusChange.createMany({
      data: [
        { appointmentId: id, status: 'no_show', changedById: null, at: new Date(Date.now() + 1000) },
        { appointmentId: id, status: 'completed', changedById: admin.user.id, at: new Date(Date.now() + 2000) },
      ],
    });
    const appointment = (await call(t.app, 'GET', `appointment/patient/${id}/`, { headers: patient.headers })).json<Appointment>();
    expect(appointment.statusHistory.map((change) => change.by)).toEqual([
      { role: 'doctor', id: doctor.profileId, firstName: 'Doc', lastName: 'User' },
      { role: 'system', id: null, firstName: null, lastName: null },
      { role: 'admin', id: admin.user.id, firstName: 'Ada', lastName: 'User' },
    ]);
  });
});
