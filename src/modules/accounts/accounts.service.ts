// Account rules: registration and activation, login with lockout and optional two-step login,
// password change and reset, the caller's own account, and the admin user list.
import type { Prisma } from '../../generated/prisma/client.ts';
import type { Role } from '../../generated/prisma/enums.ts';
import { BadRequestError, ForbiddenError, UnauthorizedError, ValidationError } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { mailTemplates } from '../../lib/mail-templates.ts';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../lib/password.ts';
import type { Actor } from '../../plugins/auth.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { recordAudit, type RequestMeta } from '../audit/audit.service.ts';
import type { AccountsDeps } from './accounts.deps.ts';
import type { UserView } from './accounts.schemas.ts';
import { checkOtp, hasPendingLoginChallenge, issueOtp, otpError } from './otp.service.ts';
import { revokeSessions, startSession, type TokenPair } from './sessions.service.ts';

export const MAX_FAILED_LOGINS = 10;
export const LOCKOUT_MINUTES = 15;

const userViewSelect = {
  id: true,
  email: true,
  firstName: true,
  lastName: true,
  phone: true,
  role: true,
  isActive: true,
  twoStepLogin: true,
  createdAt: true,
} satisfies Prisma.UserSelect;

type UserRow = Prisma.UserGetPayload<{ select: typeof userViewSelect }>;

export function toUserView(user: UserRow): UserView {
  return { ...user, createdAt: user.createdAt.toISOString() };
}

const invalidCredentials = () =>
  new UnauthorizedError({ code: 'invalid_credentials', detail: 'The email or password is not correct.' });

function assertPasswordPolicy(password: string, email: string, field: string): void {
  const problem = checkPasswordPolicy(password, { email });
  if (problem) throw new ValidationError({ detail: 'The password does not meet the policy.', errors: [{ path: field, message: problem }] });
}

export const REGISTERED_DETAIL = 'Check your email for the activation code.';

/** Registers a patient account and mails an activation code. An existing email gets the same answer and nothing is sent. */
export async function register(
  deps: AccountsDeps,
  meta: RequestMeta,
  input: { email: string; password: string; firstName?: string; lastName?: string; phone?: string },
) {
  assertPasswordPolicy(input.password, input.email, 'password');
  // Hashed before looking the email up, so both paths cost the same time.
  const passwordHash = await hashPassword(input.password);
  const answer = (id: string) => ({ id, email: input.email, isActive: false as const, detail: REGISTERED_DETAIL });

  const existing = await deps.db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) return answer(uuidv7());
  try {
    const user = await deps.db.$transaction(async (tx) => {
      const now = deps.clock.now();
      const created = await tx.user.create({
        data: {
          email: input.email,
          passwordHash,
          firstName: input.firstName ?? '',
          lastName: input.lastName ?? '',
          phone: input.phone ?? null,
          createdAt: now,
        },
        select: { id: true, email: true },
      });
      await issueOtp(tx, deps, created, 'activation');
      await recordAudit(tx, meta, { action: 'register', outcome: 'success', actorId: created.id }, now);
      return created;
    });
    return answer(user.id);
  } catch (error) {
    // A concurrent registration of the same email won the race: answer as for any existing email.
    if ((error as { code?: string }).code === 'P2002') return answer(uuidv7());
    throw error;
  }
}

async function findUserByEmail(deps: AccountsDeps, email: string) {
  return deps.db.user.findUnique({
    where: { email },
    select: { ...userViewSelect, passwordHash: true, lockedUntil: true, deletedAt: true, failedLoginCount: true },
  });
}

/** Activates the account with the emailed code and creates its patient profile. */
export async function activateAccount(deps: AccountsDeps, meta: RequestMeta, input: { email: string; otp: string }) {
  const user = await findUserByEmail(deps, input.email);
  if (!user || user.isActive || user.deletedAt) throw otpError('otp_invalid');
  const check = await deps.db.$transaction(async (tx) => {
    const result = await checkOtp(tx, deps, meta, user, 'activation', input.otp);
    if (result !== 'ok') return result;
    const now = deps.clock.now();
    await tx.user.update({ where: { id: user.id }, data: { isActive: true } });
    await tx.patient.upsert({ where: { userId: user.id }, create: { userId: user.id }, update: {} });
    await recordAudit(tx, meta, { action: 'account.activate', outcome: 'success', actorId: user.id }, now);
    return result;
  });
  if (check !== 'ok') throw otpError(check);
}

/** Sends a new activation code to an account that is not active yet; silent otherwise. */
export async function resendActivation(deps: AccountsDeps, email: string): Promise<void> {
  const user = await findUserByEmail(deps, email);
  if (!user || user.isActive || user.deletedAt) return;
  await deps.db.$transaction((tx) => issueOtp(tx, deps, user, 'activation'));
}

export type Session = TokenPair & { user: UserView };
export type LoginResult = { kind: 'session'; session: Session } | { kind: 'otp_required' };

/** Counts a failed login; the tenth in a row locks the account. */
async function recordFailedLogin(deps: AccountsDeps, meta: RequestMeta, user: { id: string; email: string }) {
  const now = deps.clock.now();
  const lockUntil = new Date(now.getTime() + LOCKOUT_MINUTES * 60_000);
  await deps.db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
      UPDATE users
         SET failed_login_count = CASE WHEN failed_login_count + 1 >= ${MAX_FAILED_LOGINS} THEN 0 ELSE failed_login_count + 1 END,
             locked_until = CASE WHEN failed_login_count + 1 >= ${MAX_FAILED_LOGINS} THEN ${lockUntil} ELSE locked_until END
       WHERE id = ${user.id}::uuid
   RETURNING locked_until = ${lockUntil} AS locked`;
    await recordAudit(tx, meta, { action: 'login.failure', outcome: 'failure', actorId: user.id }, now);
    if (row?.locked) {
      await recordAudit(tx, meta, { action: 'login.lockout', outcome: 'failure', actorId: user.id }, now);
      await deps.jobs.enqueueMail(tx, { to: user.email, ...mailTemplates.accountLocked({ minutes: LOCKOUT_MINUTES }) });
    }
  });
}

async function openSession(deps: AccountsDeps, meta: RequestMeta, user: UserRow): Promise<Session> {
  const pair = await deps.db.$transaction(async (tx) => {
    const now = deps.clock.now();
    await tx.user.update({ where: { id: user.id }, data: { failedLoginCount: 0, lockedUntil: null } });
    await recordAudit(tx, meta, { action: 'login.success', outcome: 'success', actorId: user.id }, now);
    return startSession(tx, deps, user);
  });
  return { ...pair, user: toUserView(user) };
}

/** Password login. Every failure (unknown email, wrong password, locked account) answers alike. */
export async function login(deps: AccountsDeps, meta: RequestMeta, input: { email: string; password: string }): Promise<LoginResult> {
  const user = await findUserByEmail(deps, input.email);
  const now = deps.clock.now();
  if (!user || user.deletedAt || (user.lockedUntil && user.lockedUntil > now)) {
    await verifyAgainstDummy(input.password);
    await recordAudit(deps.db, meta, {
      action: 'login.failure',
      outcome: 'failure',
      actorId: user?.id ?? null,
      subject: input.email,
      metadata: { reason: user && !user.deletedAt ? 'locked' : 'unknown_account' },
    }, now);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordFailedLogin(deps, meta, user);
    throw invalidCredentials();
  }
  if (needsRehash(user.passwordHash)) {
    // The hash predates the current argon2 parameters: upgrade it while the password is at hand.
    await deps.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.password) } });
  }
  if (!user.isActive) throw new ForbiddenError({ code: 'account_not_activated', detail: 'The account is not activated yet.' });
  if (user.twoStepLogin) {
    await deps.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: user.id }, data: { failedLoginCount: 0 } });
      await issueOtp(tx, deps, user, 'login');
    });
    return { kind: 'otp_required' };
  }
  return { kind: 'session', session: await openSession(deps, meta, user) };
}

/** Resends the two-step login code while a login is waiting for it; silent otherwise. */
export async function resendLoginOtp(deps: AccountsDeps, email: string): Promise<void> {
  const user = await findUserByEmail(deps, email);
  if (!user || !user.isActive || user.deletedAt || !user.twoStepLogin) return;
  if (!(await hasPendingLoginChallenge(deps.db, deps, user.id))) return;
  await deps.db.$transaction((tx) => issueOtp(tx, deps, user, 'login'));
}

/** Second step of a two-step login. */
export async function verifyLoginOtp(deps: AccountsDeps, meta: RequestMeta, input: { email: string; otp: string }): Promise<Session> {
  const user = await findUserByEmail(deps, input.email);
  if (!user || !user.isActive || user.deletedAt) throw otpError('otp_invalid');
  const check = await deps.db.$transaction((tx) => checkOtp(tx, deps, meta, user, 'login', input.otp));
  if (check !== 'ok') throw otpError(check);
  return openSession(deps, meta, user);
}

/** Changes the caller's password and signs out every other session. */
export async function changePassword(
  deps: AccountsDeps,
  meta: RequestMeta,
  actor: Actor,
  input: { oldPassword: string; newPassword: string },
): Promise<void> {
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { id: true, email: true, passwordHash: true } });
  if (!(await verifyPassword(user.passwordHash, input.oldPassword))) {
    throw new BadRequestError({ code: 'invalid_credentials', detail: 'The current password is not correct.' });
  }
  assertPasswordPolicy(input.newPassword, user.email, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  await deps.db.$transaction(async (tx) => {
    const now = deps.clock.now();
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await revokeSessions(tx, user.id, actor.sessionId, now);
    await recordAudit(tx, meta, { action: 'password.change', outcome: 'success', actorId: user.id }, now);
    await deps.jobs.enqueueMail(tx, { to: user.email, ...mailTemplates.passwordChanged() });
  });
}

/** Mails a password reset code to an active account; silent for any other email. */
export async function requestPasswordReset(deps: AccountsDeps, email: string): Promise<void> {
  const user = await findUserByEmail(deps, email);
  if (!user || !user.isActive || user.deletedAt) return;
  await deps.db.$transaction((tx) => issueOtp(tx, deps, user, 'password_reset'));
}

/** Sets a new password with a reset code; unlocks the account and signs out every session. */
export async function confirmPasswordReset(
  deps: AccountsDeps,
  meta: RequestMeta,
  input: { email: string; otp: string; newPassword: string },
): Promise<void> {
  assertPasswordPolicy(input.newPassword, input.email, 'newPassword');
  const user = await findUserByEmail(deps, input.email);
  if (!user || !user.isActive || user.deletedAt) throw otpError('otp_invalid');
  const passwordHash = await hashPassword(input.newPassword);
  const check = await deps.db.$transaction(async (tx) => {
    const result = await checkOtp(tx, deps, meta, user, 'password_reset', input.otp);
    if (result !== 'ok') return result;
    const now = deps.clock.now();
    await tx.user.update({ where: { id: user.id }, data: { passwordHash, failedLoginCount: 0, lockedUntil: null } });
    await revokeSessions(tx, user.id, null, now);
    await recordAudit(tx, meta, { action: 'password.reset', outcome: 'success', actorId: user.id }, now);
    await deps.jobs.enqueueMail(tx, { to: user.email, ...mailTemplates.passwordChanged() });
    return result;
  });
  if (check !== 'ok') throw otpError(check);
}

export async function getMe(deps: AccountsDeps, actor: Actor): Promise<UserView> {
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: userViewSelect });
  return toUserView(user);
}

export async function updateMe(
  deps: AccountsDeps,
  actor: Actor,
  input: { firstName?: string; lastName?: string; phone?: string | null; twoStepLogin?: boolean },
): Promise<UserView> {
  const user = await deps.db.user.update({ where: { id: actor.userId }, data: input, select: userViewSelect });
  return toUserView(user);
}

export interface UserListFilter extends PageQuery {
  search?: string;
  role?: Role;
  isActive?: boolean;
}

/** Admin list of users, newest first. */
export async function listUsers(deps: AccountsDeps, filter: UserListFilter): Promise<{ count: number; results: UserView[] }> {
  const where: Prisma.UserWhereInput = {
    ...(filter.role ? { role: filter.role } : {}),
    ...(filter.isActive === undefined ? {} : { isActive: filter.isActive }),
    ...(filter.search
      ? {
          OR: (['firstName', 'lastName', 'email'] as const).map((field) => ({
            [field]: { contains: filter.search, mode: 'insensitive' as const },
          })),
        }
      : {}),
  };
  const [count, users] = await Promise.all([
    deps.db.user.count({ where }),
    deps.db.user.findMany({ where, select: userViewSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...pageWindow(filter) }),
  ]);
  return { count, results: users.map(toUserView) };
}
