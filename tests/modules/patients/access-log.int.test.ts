// GET patient/patients/me/access-log/: every read or change of the patient's record by someone
// else, from the audit trail, at once; the patient's own actions and other patients' records stay out.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectProblem } from '../../helpers/http.ts';
import { bookForPatient, createAppointment, setStatus, type Appointment } from '../../helpers/scheduling.ts';

interface AccessEntry {
  at: string;
  action: string;
  actor: { role: string; firstName: string | null; lastName: string | null };
}
interface AccessPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: AccessEntry[];
}

const t = useTestApp();
const http = () => client(t.app);
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;
let p1: Actor<'patient'>;
let p2: Actor<'patient'>;

beforeAll(async () => {
  admin = await loginAs(t, 'admin', { firstName: 'Ada', lastName: 'Admin' });
  doctor = await loginAs(t, 'doctor', { firstName: 'Gregory', lastName: 'House' });
  p1 = await loginAs(t, 'patient');
  p2 = await loginAs(t, 'patient');
  await createAppointment(t.db, doctor.profileId, p1.profileId);
  await createAppointment(t.db, doctor.profileId, p2.profileId);
});

async function accessLog(patient: Actor<'patient'>, query = ''): Promise<AccessPage> {
  const response = await http().get(`patient/patients/me/access-log/${query}`, { headers: patient.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AccessPage>();
}
const actions = async (patient: Actor<'patient'>) => (await accessLog(patient)).results.map((entry) => [entry.action, entry.actor.role, entry.actor.lastName]);

describe('GET patient/patients/me/access-log/', () => {
  it('starts empty; a doctor’s read shows at once, in that patient’s log only', async () => {
    expect(await accessLog(p1)).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect((await http().get(`patient/patients/${p1.user.email}/`, { headers: doctor.headers })).statusCode).toBe(200);
    const log = await accessLog(p1);
    expect(log.results).toEqual([{ at: expect.any(String), action: 'patient.read', actor: { role: 'doctor', firstName: 'Gregory', lastName: 'House' } }]);
    expect(Date.now() - Date.parse(log.results[0]!.at)).toBeLessThan(60_000);
    expect(await accessLog(p2)).toMatchObject({ count: 0, results: [] });
  });

  it('lists an admin’s list read and the doctor’s appointment changes, newest first; the patient’s own reads and cancels stay out', async () => {
    expect((await http().get(`patient/patients/?search=${p2.user.email}`, { headers: admin.headers })).statusCode).toBe(200);
    expect((await http().get(`patient/patients/${p2.user.email}/`, { headers: p2.headers })).statusCode).toBe(200);
    const booked = await bookForPatient(t, doctor, { patientId: p2.profileId, startsAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(booked.statusCode, booked.body).toBe(201);
    const appointment = booked.json<Appointment>();
    expect((await setStatus(t, doctor, appointment.id, 'cancelled')).statusCode).toBe(200);
    const own = await bookForPatient(t, doctor, { patientId: p2.profileId, startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    const cancelledByPatient = await http().post(`appointment/patient/${own.json<Appointment>().id}/cancel/`, {}, { headers: p2.headers });
    expect(cancelledByPatient.statusCode, cancelledByPatient.body).toBe(200);

    expect(await actions(p2)).toEqual([
      ['appointment.create', 'doctor', 'House'],
      ['appointment.status_change', 'doctor', 'House'],
      ['appointment.create', 'doctor', 'House'],
      ['patient.read', 'admin', 'Admin'],
    ]);
    expect(await actions(p1)).toEqual([['patient.read', 'doctor', 'House']]);
  });

  it('pages like every list', async () => {
    const first = await accessLog(p2, '?pageSize=3');
    expect(first).toMatchObject({ count: 4, previous: null });
    expect(first.results).toHaveLength(3);
    expect(first.next).toContain('page=2');
    expect((await accessLog(p2, '?page=2&pageSize=3')).results.map((entry) => entry.action)).toEqual(['patient.read']);
    expect((await accessLog(p2, '?page=9&pageSize=3')).results).toEqual([]);
    expectProblem(await http().get('patient/patients/me/access-log/?pageSize=0', { headers: p2.headers }), 400, 'validation_failed');
  });

  it('is for patients: doctors and admins get 403, no token 401', async () => {
    expectProblem(await http().get('patient/patients/me/access-log/', { headers: doctor.headers }), 403, 'forbidden');
    expectProblem(await http().get('patient/patients/me/access-log/', { headers: admin.headers }), 403, 'forbidden');
    expectProblem(await http().get('patient/patients/me/access-log/'), 401, 'unauthorized');
  });
});
