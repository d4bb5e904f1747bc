// The audit module's tests: a doctor with a patient of theirs and an admin, reads of the
// patient's record, and the admins' audit routes.
import { expect } from 'vitest';
import { loginAs, type Actor } from './actors.ts';
import type { TestApp } from './app.ts';
import { client } from './http.ts';
import { createAppointment } from './scheduling.ts';

export interface AuditEvent {
  id: string;
  at: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  outcome: string;
  subjectType: string | null;
  subjectId: string | null;
  subjectUserId: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  hash: string;
  prevHash: string;
}

export interface Verification {
  ok: boolean;
  checked: number;
  firstBrokenId: string | null;
}

export interface AuditCast {
  admin: Actor<'admin'>;
  doctor: Actor<'doctor'>;
  /** A patient of the doctor's: a completed appointment yesterday. */
  patient: Actor<'patient'>;
}

export async function auditCast(t: TestApp): Promise<AuditCast> {
  const admin = await loginAs(t, 'admin');
  const doctor = await loginAs(t, 'doctor');
  const patient = await loginAs(t, 'patient');
  await createAppointment(t.db, doctor.profileId, patient.profileId);
  return { admin, doctor, patient };
}

/** GET patient/patients/{email}/ as `reader`: one `patient.read` event. */
export function readRecord(t: TestApp, reader: Pick<Actor, 'headers'>, patient: Pick<Actor, 'user'>, headers: Record<string, string> = {}) {
  return client(t.app).get(`patient/patients/${patient.user.email}/`, { headers: { ...reader.headers, ...headers }, ip: '203.0.113.9' });
}

export async function verifyAudit(t: TestApp, admin: Pick<Actor, 'headers'>): Promise<Verification> {
  const response = await client(t.app).get('operations/audit/verify/', { headers: admin.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Verification>();
}
