// Factories of the scheduling tests: doctors with a profile, patients, weekly windows, and logins.
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import type { Db } from '../../src/lib/db.ts';
import { uuidv7 } from '../../src/lib/ids.ts';
import { bearer, createUser, login, type TestUser } from './factories.ts';

export interface Party {
  user: TestUser;
  /** The doctor or patient profile id. */
  profileId: string;
  headers: { authorization: string };
}

export async function createDoctor(
  db: Db,
  app: FastifyInstance,
  options: { timezone?: string; acceptingPatients?: boolean; autoConfirm?: boolean; firstName?: string } = {},
): Promise<Party> {
  const user = await createUser(db, { role: 'doctor', firstName: options.firstName ?? 'Doc' });
  const doctor = await db.doctor.create({
    data: {
      userId: user.id,
      timezone: options.timezone ?? 'UTC',
      acceptingPatients: options.acceptingPatients ?? true,
      autoConfirm: options.autoConfirm ?? false,
    },
    select: { id: true },
  });
  return { user, profileId: doctor.id, headers: bearer(await login(app, user)) };
}

export async function createPatient(db: Db, app: FastifyInstance, options: { firstName?: string } = {}): Promise<Party> {
  const user = await createUser(db, { role: 'patient', firstName: options.firstName ?? 'Pat' });
  const patient = await db.patient.findUniqueOrThrow({ where: { userId: user.id }, select: { id: true } });
  return { user, profileId: patient.id, headers: bearer(await login(app, user)) };
}

export async function createAdmin(db: Db, app: FastifyInstance): Promise<Omit<Party, 'profileId'>> {
  const user = await createUser(db, { role: 'admin' });
  return { user, headers: bearer(await login(app, user)) };
}

/** Inserts a weekly window straight into the database (times `HH:MM`, `24:00` allowed). */
export async function addWindow(
  db: Db,
  doctorId: string,
  window: { weekday: number; startTime: string; endTime: string; slotMinutes?: number },
): Promise<string> {
  const id = uuidv7();
  await db.$executeRaw`
    INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, created_at, updated_at)
    VALUES (${id}::uuid, ${doctorId}::uuid, ${window.weekday}::smallint, ${window.startTime}::time, ${window.endTime}::time,
            ${window.slotMinutes ?? 30}::smallint, now(), now())`;
  return id;
}

/** Windows on every weekday, so any date has slots. */
export async function addDailyWindows(db: Db, doctorId: string, startTime: string, endTime: string, slotMinutes = 30): Promise<void> {
  for (let weekday = 0; weekday < 7; weekday += 1) await addWindow(db, doctorId, { weekday, startTime, endTime, slotMinutes });
}

/** A local date `days` after today in `zone`, as `YYYY-MM-DD`. */
export function localDate(days: number, zone = 'UTC'): string {
  return DateTime.now().setZone(zone).plus({ days }).toISODate()!;
}

/** The weekday (0 = Sunday) of a `YYYY-MM-DD` date. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}
