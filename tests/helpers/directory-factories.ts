// Factories of the directory tests: doctors with profiles, catalogue entries, appointments linking a doctor and a patient, and logged-in callers.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/lib/db.ts';
import { bearer, createUser, login, randomEmail, type TestUser } from './factories.ts';

export interface Caller extends TestUser {
  headers: { authorization: string };
}

/** A user of `role`, logged in through the API. */
export async function signedIn(app: FastifyInstance, db: Db, role: 'patient' | 'doctor' | 'admin', options: { email?: string; firstName?: string } = {}): Promise<Caller> {
  const user = await createUser(db, { role, ...options });
  return { ...user, headers: bearer(await login(app, user)) };
}

export async function createSpecialization(db: Db, name = `Spec ${randomUUID().slice(0, 8)}`) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return db.specialization.create({ data: { name, slug }, select: { id: true, name: true, slug: true } });
}

export async function createDesignation(db: Db, name = `Desig ${randomUUID().slice(0, 8)}`) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return db.designation.create({ data: { name, slug }, select: { id: true, name: true, slug: true } });
}

export interface DoctorOptions {
  email?: string;
  firstName?: string;
  lastName?: string;
  fee?: string;
  rating?: number | null;
  ratingCount?: number;
  specializationIds?: string[];
  designationIds?: string[];
  deleted?: boolean;
}

export interface TestDoctor extends TestUser {
  doctorId: string;
}

/** An active doctor account with a profile. */
export async function createDoctor(db: Db, options: DoctorOptions = {}): Promise<TestDoctor> {
  const user = await createUser(db, { role: 'doctor', email: options.email ?? randomEmail('doctor'), firstName: options.firstName ?? 'Doc' });
  if (options.lastName) await db.user.update({ where: { id: user.id }, data: { lastName: options.lastName } });
  const doctor = await db.doctor.create({
    data: {
      userId: user.id,
      fee: options.fee ?? '50.00',
      ratingAverage: options.rating ?? null,
      ratingCount: options.ratingCount ?? (options.rating == null ? 0 : 1),
      deletedAt: options.deleted ? new Date() : null,
      specializations: { create: (options.specializationIds ?? []).map((specializationId) => ({ specializationId })) },
      designations: { create: (options.designationIds ?? []).map((designationId) => ({ designationId })) },
    },
    select: { id: true },
  });
  return { ...user, doctorId: doctor.id };
}

/** A logged-in doctor with a profile. */
export async function signedInDoctor(app: FastifyInstance, db: Db, options: DoctorOptions = {}): Promise<TestDoctor & Caller> {
  const doctor = await createDoctor(db, options);
  return { ...doctor, headers: bearer(await login(app, doctor)) };
}

/** The patient profile id of a patient user. */
export async function patientIdOf(db: Db, userId: string): Promise<string> {
  const patient = await db.patient.findUniqueOrThrow({ where: { userId }, select: { id: true } });
  return patient.id;
}

/** A past completed appointment between a doctor and a patient (by profile ids). */
export async function createAppointment(db: Db, doctorId: string, patientId: string, startsAt = new Date(Date.now() - 86_400_000)) {
  return db.appointment.create({
    data: { doctorId, patientId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), status: 'completed' },
    select: { id: true },
  });
}
