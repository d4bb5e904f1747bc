// Factories: unique users made straight in the database, and logins through the API
// (`loginAs(t, 'admin' | 'doctor' | 'patient')`). Each domain adds its own next to this file.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../src/generated/prisma/enums.ts';
import type { Db } from '../../src/lib/db.ts';
import { hashPassword } from '../../src/lib/password.ts';

export const API = '/v1/api';

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

export async function createUser(
  db: Db,
  options: { role?: Role; isActive?: boolean; twoStepLogin?: boolean; email?: string; password?: string; firstName?: string } = {},
): Promise<TestUser> {
  const email = options.email ?? randomEmail(options.role ?? 'patient');
  const password = options.password ?? randomPassword();
  const role = options.role ?? 'patient';
  const user = await db.user.create({
    data: {
      email,
      passwordHash: await hashPassword(password),
      role,
      isActive: options.isActive ?? true,
      twoStepLogin: options.twoStepLogin ?? false,
      firstName: options.firstName ?? 'Test',
      lastName: 'User',
      ...(role === 'patient' && (options.isActive ?? true) ? { patient: { create: {} } } : {}),
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
  const response = await app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email: user.email, password: user.password } });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const body = response.json<Tokens>();
  return { access: body.access, refresh: body.refresh };
}

export const bearer = (tokens: { access: string }) => ({ authorization: `Bearer ${tokens.access}` });

export interface LoggedIn {
  user: TestUser;
  tokens: Tokens;
  /** The Authorization header of the access token. */
  headers: { authorization: string };
}

/** A fresh active user of `role` (patients with a patient profile, doctors with a doctor profile), logged in. */
export async function loginAs(t: { app: FastifyInstance; db: Db }, role: Role, options: Parameters<typeof createUser>[1] = {}): Promise<LoggedIn> {
  const user = await createUser(t.db, { ...options, role });
  if (role === 'doctor') await t.db.doctor.create({ data: { userId: user.id } });
  const tokens = await login(t.app, user);
  return { user, tokens, headers: bearer(tokens) };
}
