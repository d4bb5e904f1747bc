// Booking rules per doctor: reading and replacing them, buffers kept by the database, minimum
// notice and horizon for patients.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/modules/scheduling/rules.schemas.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, freeSlots, localDate, putRules } from '../../helpers/scheduling.ts';

const t = useTestApp();
let patient: Actor<'patient'>;

beforeAll(async () => {
  patient = await loginAs(t, 'patient');
});

const day = (n: number) => localDate(n);

// The defaults API.md gives: v1 behaviour, nothing extra enforced.
const DEFAULTS = DEFAULT_RULES;

describe('doctor/booking-rules/', () => {
  it('defaults change nothing; PUT replaces the whole object (strict, bounded); admins name the doctor; others are refused', async () => {
    const [doctor, otherDoctor, admin] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'doctor'), loginAs(t, 'admin')]);
    const read = await call(t.app, 'GET', 'doctor/booking-rules/', { headers: doctor.headers });
    expect(read.json()).toEqual({ doctorId: doctor.profileId, ...DEFAULTS });
    expect(read.json()).toMatchObject({ bufferBeforeMinutes: 0, minNoticeMinutes: 0, horizonDays: null, maxReschedules: 3, noShowGraceMinutes: 15, autoNoShow: false });

    const put = await putRules(t, doctor, { bufferAfterMinutes: 10, horizonDays: 60, autoNoShow: true });
    expect(put.json()).toEqual({ doctorId: doctor.profileId, ...DEFAULTS, bufferAfterMinutes: 10, horizonDays: 60, autoNoShow: true });
    // A second PUT replaces: what it leaves out goes back to its default.
    expect((await putRules(t, doctor, { minNoticeMinutes: 120 })).json()).toEqual({ doctorId: doctor.profileId, ...DEFAULTS, minNoticeMinutes: 120 });
    expect((await call(t.app, 'GET', 'doctor/booking-rules', { headers: otherDoctor.headers })).json()).toEqual({ doctorId: otherDoctor.profileId, ...DEFAULTS });

    expectFieldError(await putRules(t, doctor, { bufferBeforeMinutes: 241 }), 'bufferBeforeMinutes');
    expectFieldError(await putRules(t, doctor, { horizonDays: 0 }), 'horizonDays');
    expectFieldError(await putRules(t, doctor, { noShowGraceMinutes: 4 }), 'noShowGraceMinutes');
    expectFieldError(await putRules(t, doctor, { doctorId: otherDoctor.profileId }), 'doctorId');
    expectFieldError(await putRules(t, doctor, {}, `?doctorId=${otherDoctor.profileId}`), 'query.doctorId');

    const byAdmin = await putRules(t, admin, { cancelNoticeMinutes: 1440 }, `?doctorId=${otherDoctor.profileId}`);
    expect(byAdmin.json()).toEqual({ doctorId: otherDoctor.profileId, ...DEFAULTS, cancelNoticeMinutes: 1440 });
    expectFieldError(await call(t.app, 'GET', 'doctor/booking-rules/', { headers: admin.headers }), 'query.doctorId');
    expectProblem(await call(t.app, 'GET', 'doctor/booking-rules/', { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'doctor/booking-rules/'), 401, 'unauthorized');
    expect((await call(t.app, 'GET', 'doctor/booking-rules/', { headers: doctor.headers })).json()).toMatchObject({ minNoticeMinutes: 120 });
  });
});

describe('buffers', () => {
  it('free slots keep the buffers around booked appointments; a booking keeps the buffers of its time even after the rules change', async () => {
    const doctor = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00', 30);
    await putRules(t, doctor, { bufferBeforeMinutes: 15, bufferAfterMinutes: 15 });
    const booked = await book(t, patient, { doctorId: doctor.profileId, startsAt: `${day(3)}T09:00:00.000Z` });
    expect(booked.statusCode, booked.body).toBe(201);
    const starts = (await freeSlots(t, doctor.profileId, day(3), day(3), {})).map((slot) => slot.startsAt.slice(11, 16));
    expect(starts).toEqual(['08:00', '10:00', '10:30', '11:00', '11:30']);

    // Rules changed later: the booked appointment still occupies 08:45..09:45 (without its own
    // buffers 08:30 and 09:30 would be free again).
    await putRules(t, doctor, {});
    const after = (await freeSlots(t, doctor.profileId, day(3), day(3), {})).map((slot) => slot.startsAt.slice(11, 16));
    expect(after).toEqual(['08:00', '10:00', '10:30', '11:00', '11:30']);
  });

  it('the database refuses a booking inside another one’s buffer, whoever books, under any concurrency', async () => {
    const doctor = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00', 30);
    await putRules(t, doctor, { bufferAfterMinutes: 20 });
    // Two fresh patients a round, so the per-patient caps never answer instead of the calendar.
    const bookers = await Promise.all(Array.from({ length: 20 }, () => loginAs(t, 'patient')));
    for (let round = 0; round < 10; round += 1) {
      const date = day(5 + round);
      const [first, second] = [bookers[2 * round]!, bookers[2 * round + 1]!];
      // 08:00 and 08:30 do not overlap, but 08:00 with its 20 minutes after does.
      const answers = await Promise.all([
        book(t, first, { doctorId: doctor.profileId, startsAt: `${date}T08:00:00.000Z` }),
        book(t, second, { doctorId: doctor.profileId, startsAt: `${date}T08:30:00.000Z` }),
        bookForPatient(t, doctor, { patientId: second.profileId, startsAt: `${date}T08:40:00.000Z`, endsAt: `${date}T08:50:00.000Z` }),
      ]);
      expect(answers.map((answer) => answer.statusCode).filter((code) => code === 201), `round ${round}`).toHaveLength(1);
      for (const answer of answers.filter((a) => a.statusCode !== 201)) expectProblem(answer, 409, 'slot_unavailable');
    }
    // Even written behind the API's back, the constraint holds.
    const date = day(20);
    expect((await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${date}T10:00:00Z` })).statusCode).toBe(201);
    await expect(
      t.db.$executeRaw`INSERT INTO appointments (id, patient_id, doctor_id, starts_at, ends_at, status, updated_at)
                       VALUES (gen_random_uuid(), ${patient.profileId}::uuid, ${doctor.profileId}::uuid,
                               ${`${date}T10:40:00Z`}::timestamptz, ${`${date}T11:00:00Z`}::timestamptz, 'pending', now())`,
    ).rejects.toThrow(/appointments_no_overlap/);
  });
});

describe('minimum notice and horizon', () => {
  it('patients get no slots and cannot book inside the notice or past the horizon; doctors are not bound', async () => {
    const doctor = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, doctor.profileId, '00:00', '24:00', 60);
    await putRules(t, doctor, { minNoticeMinutes: 48 * 60, horizonDays: 5 });
    const now = Date.now();
    const slots = await freeSlots(t, doctor.profileId, day(0), day(7), {});
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) {
      expect(new Date(slot.startsAt).getTime()).toBeGreaterThanOrEqual(now + 48 * 3_600_000);
      expect(new Date(slot.startsAt).getTime()).toBeLessThanOrEqual(now + 5 * 86_400_000 + 60_000);
    }
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: `${day(1)}T12:00:00.000Z` }), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: `${day(7)}T12:00:00.000Z` }), 409, 'slot_unavailable');
    expect((await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt })).statusCode).toBe(201);
    expect((await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(1)}T12:00:00Z` })).statusCode).toBe(201);
    expect((await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${day(9)}T12:00:00Z` })).statusCode).toBe(201);
  });
});
