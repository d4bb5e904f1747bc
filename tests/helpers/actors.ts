// Actors: users, patients and doctors made straight in the database, and logins through the API.
// `loginAs(t, role, options)` answers one shape for every role: { user, profileId, tokens, headers }.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../src/generated/prisma/enums.ts';
import type { Db } from '../../src/lib/db.ts';
import { hashPassword } from '../../src/lib/password.ts';
import { apiUrl } from './http.ts';

export function randomEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.com`;
}

/** A password that passes the policy. */
export function randomPassword(): string {
  return `Pw-${randomUUID()}`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
}

export interface UserOptions {
  email?: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  isActive?: boolean;
  twoStepLogin?: boolean;
}

/** A user with a known password; an active patient gets a patient profile (as activation makes one). */
export async function createUser(db: Db, options: UserOptions & { role?: Role } = {}): Promise<TestUser> {
  const role = options.role ?? 'patient';
  const email = options.email ?? randomEmail(role);
  const password = options.password ?? randomPassword();
  const isActive = options.isActive ?? true;
  const user = await db.user.create({
    data: {
      email,
      passwordHash: await hashPassword(password),
      role,
      isActive,
      twoStepLogin: options.twoStepLogin ?? false,
      firstName: options.firstName ?? 'Test',
      lastName: options.lastName ?? 'User',
      ...(role === 'patient' && isActive ? { patient: { create: {} } } : {}),
    },
    select: { id: true },
  });
  return { id: user.id, email, password, role };
}

export interface Tokens {
  access: string;
  refresh: string;
}

/** Logs the user in through the API and returns the token pair. */
export async function login(app: FastifyInstance, user: { email: string; password: string }): Promise<Tokens> {
  const response = await app.inject({ method: 'POST', url: apiUrl('user/login'), payload: { email: user.email, password: user.password } });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const body = response.json<Tokens>();
  return { access: body.access, refresh: body.refresh };
}

export const bearer = (tokens: { access: string }) => ({ authorization: `Bearer ${tokens.access}` });

/** A patient or a doctor: the user and its profile id. */
export interface Member {
  user: TestUser;
  profileId: string;
}

export interface DoctorOptions extends UserOptions {
  timezone?: string;
  acceptingPatients?: boolean;
  autoConfirm?: boolean;
  /** Decimal text, e.g. '42.50'. */
  fee?: string;
  /** The stored average; its count is 1 unless `ratingCount` says otherwise, 0 for null. */
  rating?: number | null;
  ratingCount?: number;
  specializationIds?: string[];
  designationIds?: string[];
  /** A closed profile (deleted_at set). */
  deleted?: boolean;
}

/** An active doctor account with a profile, not logged in. */
export async function createDoctor(db: Db, options: DoctorOptions = {}): Promise<Member> {
  const user = await createUser(db, { ...options, role: 'doctor', firstName: options.firstName ?? 'Doc' });
  const doctor = await db.doctor.create({
    data: {
      userId: user.id,
      timezone: options.timezone ?? 'UTC',
      acceptingPatients: options.acceptingPatients ?? true,
      autoConfirm: options.autoConfirm ?? false,
      fee: options.fee ?? '50.00',
      ratingAverage: options.rating ?? null,
      ratingCount: options.ratingCount ?? (options.rating == null ? 0 : 1),
      deletedAt: options.deleted ? new Date() : null,
      specializations: { create: (options.specializationIds ?? []).map((specializationId) => ({ specializationId })) },
      designations: { create: (options.designationIds ?? []).map((designationId) => ({ designationId })) },
    },
    select: { id: true },
  });
  return { user, profileId: doctor.id };
}

/** An active patient account with its profile, not logged in. */
export async function createPatient(db: Db, options: UserOptions = {}): Promise<Member> {
  const user = await createUser(db, { ...options, role: 'patient' });
  return { user, profileId: await patientIdOf(db, user.id) };
}

/** The patient profile id of a patient user (e.g. one registered through the API). */
export async function patientIdOf(db: Db, userId: string): Promise<string> {
  const patient = await db.patient.findUniqueOrThrow({ where: { userId }, select: { id: true } });
  return patient.id;
}

/** A logged-in user of one role; `profileId` is the patient or doctor profile id, null for an admin. */
export interface Actor<R extends Role = Role> {
  user: TestUser;
  profileId: R extends 'admin' ? null : string;
  tokens: Tokens;
  /** The Authorization header of the access token. */
  headers: { authorization: string };
}

export type ActorOptions<R extends Role> = R extends 'doctor' ? DoctorOptions : UserOptions;

/** A fresh active user of `role` (patients and doctors with their profile), logged in through the API. */
export async function loginAs<R extends Role>(t: { app: FastifyInstance; db: Db }, role: R, options: ActorOptions<R> = {}): Promise<Actor<R>> {
  const { user, profileId } =
    role === 'doctor' ? await createDoctor(t.db, options)
    : role === 'patient' ? await createPatient(t.db, options)
    : { user: await createUser(t.db, { ...options, role }), profileId: null };
  const tokens = await login(t.app, user);
  return { user, profileId, tokens, headers: bearer(tokens) } as Actor<R>;
}
