// Weekly windows and time off through the API: roles, ownership, overlap (409 from the database), validation.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { call } from '../../helpers/scheduling.ts';

const t = useTestApp();
let doctor: Actor<'doctor'>;
let otherDoctor: Actor<'doctor'>;
let patient: Actor<'patient'>;
let admin: Actor<'admin'>;

beforeAll(async () => {
  [doctor, otherDoctor, patient, admin] = await Promise.all([
    loginAs(t, 'doctor'),
    loginAs(t, 'doctor'),
    loginAs(t, 'patient'),
    loginAs(t, 'admin'),
  ]);
});

const window = (overrides: Record<string, unknown> = {}) => ({ weekday: 1, startTime: '09:00', endTime: '12:00', slotMinutes: 30, ...overrides });

describe('available-times', () => {
  it('a doctor creates, lists, reads, replaces, patches and deletes own windows (with or without trailing slash)', async () => {
    const created = await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 2 }) });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ doctorId: doctor.profileId, weekday: 2, startTime: '09:00', endTime: '12:00', slotMinutes: 30, validFrom: null, validUntil: null });

    const list = await call(t.app, 'GET', 'doctor/available-times', { headers: doctor.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ id: string }[]>().map((w) => w.id)).toContain(body.id);

    const read = await call(t.app, 'GET', `doctor/available-times/${body.id}/`, { headers: doctor.headers });
    expect(read.json()).toEqual(body);

    const replaced = await call(t.app, 'PUT', `doctor/available-times/${body.id}/`, {
      headers: doctor.headers,
      payload: { weekday: 2, startTime: '13:00', endTime: '24:00', slotMinutes: 60, validFrom: '2030-01-01' },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ startTime: '13:00', endTime: '24:00', slotMinutes: 60, validFrom: '2030-01-01', validUntil: null });

    const patched = await call(t.app, 'PATCH', `doctor/available-times/${body.id}`, { headers: doctor.headers, payload: { slotMinutes: 15 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ startTime: '13:00', endTime: '24:00', slotMinutes: 15, validFrom: '2030-01-01' });

    const deleted = await call(t.app, 'DELETE', `doctor/available-times/${body.id}/`, { headers: doctor.headers });
    expect(deleted.statusCode).toBe(204);
    expectProblem(await call(t.app, 'GET', `doctor/available-times/${body.id}/`, { headers: doctor.headers }), 404, 'not_found');
  });

  it('refuses an overlapping window of the same doctor (409), and allows back-to-back, other weekdays, disjoint validity and other doctors', async () => {
    const first = await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 3 }) });
    expect(first.statusCode).toBe(201);
    expectProblem(await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 3, startTime: '11:30', endTime: '13:00' }) }), 409, 'conflict');
    expectProblem(await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 3, startTime: '08:00', endTime: '18:00' }) }), 409, 'conflict');
    const adjacent = await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 3, startTime: '12:00', endTime: '13:00' }) });
    expect(adjacent.statusCode).toBe(201);
    expect((await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 4 }) })).statusCode).toBe(201);
    expect((await call(t.app, 'POST', 'doctor/available-times/', { headers: otherDoctor.headers, payload: window({ weekday: 3 }) })).statusCode).toBe(201);

    const janOnly = window({ weekday: 5, validFrom: '2031-01-01', validUntil: '2031-01-31' });
    expect((await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: janOnly })).statusCode).toBe(201);
    const febOn = window({ weekday: 5, validFrom: '2031-02-01' });
    expect((await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: febOn })).statusCode).toBe(201);
    expectProblem(await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 5, validUntil: '2031-01-01' }) }), 409, 'conflict');

    // An update into another window's time is refused the same way.
    expectProblem(
      await call(t.app, 'PATCH', `doctor/available-times/${adjacent.json().id}/`, { headers: doctor.headers, payload: { startTime: '10:00' } }),
      409,
      'conflict',
    );
  });

  it('concurrent overlapping windows: exactly one is created', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 6, startTime: `0${i % 3}:00`, endTime: '12:00' }) }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, ...Array(19).fill(409)]);
  });

  it('validates bodies: times, order, slot length, dates, unknown fields', async () => {
    const post = (payload: unknown) => call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload });
    expectFieldError(await post(window({ endTime: '09:00' })), 'endTime');
    expectFieldError(await post(window({ startTime: '24:00' })), 'startTime');
    expectFieldError(await post(window({ startTime: '9:00' })), 'startTime');
    expectFieldError(await post(window({ endTime: '12:60' })), 'endTime');
    expectFieldError(await post(window({ slotMinutes: 10 })), 'slotMinutes');
    expectFieldError(await post(window({ slotMinutes: 241 })), 'slotMinutes');
    expectFieldError(await post(window({ weekday: 7 })), 'weekday');
    expectFieldError(await post(window({ validFrom: '2031-02-30' })), 'validFrom');
    expectFieldError(await post(window({ validFrom: '2031-02-01', validUntil: '2031-01-01' })), 'validUntil');
    expectFieldError(await post(window({ id: '00000000-0000-0000-0000-000000000000' })), 'id');
    expectFieldError(await post(window({ startTime: '09:00\u0000' })), 'startTime');
    expectFieldError(await call(t.app, 'PATCH', 'doctor/available-times/not-a-uuid/', { headers: doctor.headers, payload: {} }), 'params.id');
  });

  it('admins act for a named doctor; doctors cannot name another; patients and anonymous callers are refused', async () => {
    expectFieldError(await call(t.app, 'GET', 'doctor/available-times/', { headers: admin.headers }), 'query.doctorId');
    expectFieldError(await call(t.app, 'POST', 'doctor/available-times/', { headers: admin.headers, payload: window({ weekday: 0 }) }), 'doctorId');
    const created = await call(t.app, 'POST', 'doctor/available-times/', { headers: admin.headers, payload: window({ weekday: 0, doctorId: otherDoctor.profileId }) });
    expect(created.statusCode).toBe(201);
    expect(created.json().doctorId).toBe(otherDoctor.profileId);
    const listed = await call(t.app, 'GET', `doctor/available-times/?doctorId=${otherDoctor.profileId}`, { headers: admin.headers });
    expect(listed.json<{ id: string }[]>().map((w) => w.id)).toContain(created.json().id);
    expect((await call(t.app, 'PATCH', `doctor/available-times/${created.json().id}/`, { headers: admin.headers, payload: { endTime: '11:00' } })).statusCode).toBe(200);
    expectProblem(await call(t.app, 'GET', `doctor/available-times/?doctorId=00000000-0000-4000-8000-000000000000`, { headers: admin.headers }), 404, 'not_found');

    expectFieldError(await call(t.app, 'POST', 'doctor/available-times/', { headers: doctor.headers, payload: window({ weekday: 0, doctorId: otherDoctor.profileId }) }), 'doctorId');
    expectFieldError(await call(t.app, 'GET', `doctor/available-times/?doctorId=${otherDoctor.profileId}`, { headers: doctor.headers }), 'query.doctorId');

    // Another doctor's window is not there for this doctor.
    const id = created.json().id as string;
    expectProblem(await call(t.app, 'GET', `doctor/available-times/${id}/`, { headers: doctor.headers }), 404, 'not_found');
    expectProblem(await call(t.app, 'PUT', `doctor/available-times/${id}/`, { headers: doctor.headers, payload: window({ weekday: 0 }) }), 404, 'not_found');
    expectProblem(await call(t.app, 'PATCH', `doctor/available-times/${id}/`, { headers: doctor.headers, payload: { slotMinutes: 60 } }), 404, 'not_found');
    expectProblem(await call(t.app, 'DELETE', `doctor/available-times/${id}/`, { headers: doctor.headers }), 404, 'not_found');
    expect((await call(t.app, 'GET', `doctor/available-times/${id}/`, { headers: otherDoctor.headers })).statusCode).toBe(200);

    expectProblem(await call(t.app, 'GET', 'doctor/available-times/', { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', 'doctor/available-times/', { headers: patient.headers, payload: window() }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', `doctor/available-times/${id}/`, { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'doctor/available-times/'), 401, 'unauthorized');
    expect((await call(t.app, 'DELETE', `doctor/available-times/${id}/`, { headers: admin.headers })).statusCode).toBe(204);
  });
});

describe('time-off', () => {
  it('a doctor blocks time off, sees conflicting active appointments (not cancelled), lists and deletes it', async () => {
    const patientId = patient.profileId;
    const at = (iso: string) => new Date(iso);
    const active = await t.db.appointment.create({
      data: { patientId, doctorId: doctor.profileId, startsAt: at('2031-03-03T10:00:00Z'), endsAt: at('2031-03-03T10:30:00Z'), status: 'confirmed' },
      select: { id: true },
    });
    await t.db.appointment.create({
      data: { patientId, doctorId: doctor.profileId, startsAt: at('2031-03-03T11:00:00Z'), endsAt: at('2031-03-03T11:30:00Z'), status: 'cancelled' },
    });
    const created = await call(t.app, 'POST', 'doctor/time-off/', {
      headers: doctor.headers,
      payload: { startsAt: '2031-03-03T00:00:00Z', endsAt: '2031-03-04T00:00:00+00:00', reason: 'Training\nall day' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      doctorId: doctor.profileId,
      startsAt: '2031-03-03T00:00:00.000Z',
      endsAt: '2031-03-04T00:00:00.000Z',
      reason: 'Training\nall day',
      conflictingAppointmentIds: [active.id],
    });
    expect((await t.db.appointment.findUniqueOrThrow({ where: { id: active.id } })).status).toBe('confirmed');

    const list = await call(t.app, 'GET', 'doctor/time-off', { headers: doctor.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([created.json()]);
    expect((await call(t.app, 'GET', 'doctor/time-off/', { headers: otherDoctor.headers })).json()).toEqual([]);

    const id = created.json().id as string;
    expectProblem(await call(t.app, 'DELETE', `doctor/time-off/${id}/`, { headers: otherDoctor.headers }), 404, 'not_found');
    expectProblem(await call(t.app, 'DELETE', `doctor/time-off/${id}/`, { headers: patient.headers }), 403, 'forbidden');
    expect((await call(t.app, 'DELETE', `doctor/time-off/${id}/`, { headers: doctor.headers })).statusCode).toBe(204);
    expectProblem(await call(t.app, 'DELETE', `doctor/time-off/${id}`, { headers: doctor.headers }), 404, 'not_found');
  });

  it('admins manage time off of a named doctor', async () => {
    const created = await call(t.app, 'POST', 'doctor/time-off/', {
      headers: admin.headers,
      payload: { doctorId: otherDoctor.profileId, startsAt: '2031-05-01T00:00:00Z', endsAt: '2031-05-02T00:00:00Z' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ doctorId: otherDoctor.profileId, reason: '', conflictingAppointmentIds: [] });
    expect((await call(t.app, 'GET', `doctor/time-off/?doctorId=${otherDoctor.profileId}`, { headers: admin.headers })).json()).toHaveLength(1);
    expectFieldError(await call(t.app, 'GET', 'doctor/time-off/', { headers: admin.headers }), 'query.doctorId');
    expect((await call(t.app, 'DELETE', `doctor/time-off/${created.json().id}/`, { headers: admin.headers })).statusCode).toBe(204);
  });

  it('validates time off: order, instants with offsets, control characters, unknown fields', async () => {
    const post = (payload: unknown) => call(t.app, 'POST', 'doctor/time-off/', { headers: doctor.headers, payload });
    const ok = { startsAt: '2031-06-01T00:00:00Z', endsAt: '2031-06-02T00:00:00Z' };
    expectFieldError(await post({ ...ok, endsAt: ok.startsAt }), 'endsAt');
    expectFieldError(await post({ ...ok, startsAt: '2031-06-01' }), 'startsAt');
    expectFieldError(await post({ ...ok, reason: 'bad\u0007bell' }), 'reason');
    expectFieldError(await post({ ...ok, reason: 'x'.repeat(501) }), 'reason');
    expectFieldError(await post({ ...ok, conflictingAppointmentIds: [] }), 'conflictingAppointmentIds');
    expectFieldError(await post({ ...ok, endsAt: '2033-06-02T00:00:00Z' }), 'endsAt');
  });
});
