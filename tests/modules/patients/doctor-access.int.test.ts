// A doctor's patients (API.md): only a confirmed or completed appointment together starting within
// the last 365 days or the next 30 opens a patient's record to a doctor (issue 18, M4).
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentStatus } from '../../../src/generated/prisma/enums.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectProblem, requestId } from '../../helpers/http.ts';
import { bookForPatient, setStatus, type Appointment } from '../../helpers/scheduling.ts';

const DAY_MS = 86_400_000;

const t = useTestApp();
const http = () => client(t.app);
let patient: Actor<'patient'>;

beforeAll(async () => {
  patient = await loginAs(t, 'patient');
});

/** A doctor with one appointment with the patient, `days` from now, in `status`. */
async function doctorWith(status: AppointmentStatus, days: number): Promise<Actor<'doctor'>> {
  const doctor = await loginAs(t, 'doctor');
  const startsAt = new Date(Date.now() + days * DAY_MS);
  await t.db.appointment.create({
    data: { doctorId: doctor.profileId, patientId: patient.profileId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), status },
  });
  return doctor;
}

/** What the doctor can read of the patient: the record by email and by id, and whether the list shows them. */
async function access(doctor: Actor<'doctor'>) {
  const byEmail = await http().get(`patient/patients/${patient.user.email}/`, { headers: doctor.headers });
  const byId = await http().get(`patient/patients/${patient.profileId}/`, { headers: doctor.headers });
  const list = await http().get('patient/patients/', { headers: doctor.headers });
  expect(list.statusCode).toBe(200);
  return { byEmail: byEmail.statusCode, byId: byId.statusCode, listed: list.json<{ results: { id: string }[] }>().results.map((p) => p.id).includes(patient.profileId) };
}

describe('a doctor reads a patient’s record', () => {
  it('with a completed appointment yesterday or a confirmed one in 20 days: by email and by id, and in the list', async () => {
    expect(await access(await doctorWith('completed', -1))).toEqual({ byEmail: 200, byId: 200, listed: true });
    expect(await access(await doctorWith('confirmed', 20))).toEqual({ byEmail: 200, byId: 200, listed: true });
    expect(await access(await doctorWith('completed', -360))).toEqual({ byEmail: 200, byId: 200, listed: true });
  });

  it('not with a pending, requested, rejected or cancelled one, nor one over 365 days ago or over 30 days ahead: 404 and not listed', async () => {
    const outsiders = [
      await doctorWith('pending', 2),
      await doctorWith('requested', 2),
      await doctorWith('rejected', -2),
      await doctorWith('cancelled', -2),
      await doctorWith('completed', -370),
      await doctorWith('confirmed', 35),
    ];
    for (const doctor of outsiders) expect(await access(doctor)).toEqual({ byEmail: 404, byId: 404, listed: false });
  });

  it('the attack: a past walk-in booked for the patient’s email and cancelled opens nothing, while the treating doctor still reads', async () => {
    const treating = await doctorWith('completed', -10);
    const attacker = await loginAs(t, 'doctor');
    const walkIn = await bookForPatient(t, attacker, { patientEmail: patient.user.email, startsAt: new Date(Date.now() - 2 * DAY_MS).toISOString() });
    expect(walkIn.statusCode, walkIn.body).toBe(201);
    expect((await setStatus(t, attacker, walkIn.json<Appointment>().id, 'cancelled')).statusCode).toBe(200);

    const id = requestId();
    const probe = await http().get(`patient/patients/${patient.user.email}/`, { headers: { ...attacker.headers, 'x-request-id': id } });
    const body = expectProblem(probe, 404, 'not_found');
    expect(JSON.stringify(body)).not.toContain(patient.user.email);
    expect(await access(attacker)).toEqual({ byEmail: 404, byId: 404, listed: false });
    expect(await t.db.auditEvent.count({ where: { action: 'patient.read', actorId: attacker.user.id } })).toBe(0);

    expect(await access(treating)).toEqual({ byEmail: 200, byId: 200, listed: true });
    // Every read by the treating doctor is audited with the patient as subject user.
    expect(await t.db.auditEvent.count({ where: { action: 'patient.read', actorId: treating.user.id, subjectUserId: patient.user.id } })).toBe(3);
  });

  it('a malformed id or email answers 400', async () => {
    const doctor = await doctorWith('completed', -1);
    expectProblem(await http().get('patient/patients/not-an-id-or-email/', { headers: doctor.headers }), 400, 'validation_failed');
  });
});
