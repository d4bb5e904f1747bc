// What the scheduling module holds about a user, for their data export: their appointments (as a
// patient and as a doctor) with their status history, as the API answers them.
import type { DbClient } from '../../lib/db.ts';
import type { AppointmentOut } from './appointments.schemas.ts';
import { listAppointments, type Owner } from './appointments.queries.ts';

const PAGE = 500;

async function allOf(db: DbClient, owner: Owner): Promise<AppointmentOut[]> {
  const all: AppointmentOut[] = [];
  for (let skip = 0; ; skip += PAGE) {
    const { results } = await listAppointments(db, owner, { statuses: undefined, from: undefined, to: undefined, skip, take: PAGE });
    all.push(...results);
    if (results.length < PAGE) return all;
  }
}

export async function appointmentsDataOf(db: DbClient, userId: string) {
  return { asPatient: await allOf(db, { patientUserId: userId }), asDoctor: await allOf(db, { doctorUserId: userId }) };
}
