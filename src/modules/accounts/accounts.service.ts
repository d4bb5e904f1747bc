// Account rules: registration and activation, login with lockout and optional two-step login,
// password change and reset, the caller's own account, and the admin user list. Routes whose
// answer must not reveal whether an email exists do the same work for every email and leave
// what differs to a job (accounts.jobs.ts).
import type { Config } from '../../config.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { Role } from '../../generated/prisma/enums.ts';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { logins } from '../../lib/metrics.ts';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../../lib/password.ts';
import { escapeLikeWildcards } from '../../lib/sql.ts';
import { pageWindow } from '../../schemas/pagination.ts';
import { recordAudit } from '../audit/index.ts';
import {
  accountNotActivated,
  invalidCredentials,
  missingField,
  otpError,
  passwordPolicyViolation,
  passwordRequired,
  registrationPasswordMismatch,
  noTotp,
  noTotpEnrolment,
  totpAlreadyEnabled,
  twoStepRequiredByRole,
  wrongCurrentPassword,
} from './accounts.errors.ts';
import { accountMails } from './accounts.mails.ts';
import { countFailedLogin } from './accounts.queries.ts';
import type {
  ActivateInput,
  ChangePasswordInput,
  EmailInput,
  LoginInput,
  LoginOtpInput,
  RegisterInput,
  ResetPasswordInput,
  TotpConfirmInput,
  TotpDisableInput,
  TotpEnrolInput,
  UpdateMeInput,
  UserListQuery,
  UserView,
} from './accounts.schemas.ts';
import { ACCOUNT_QUEUES, type RegistrationJob, type SendCodeJob } from './accounts.jobs.ts';
import { loginCodePhoneOf, phoneChanged } from './notifications.service.ts';
import { checkCode, checkOtp, issueOtp, openAppChallenge } from './otp.service.ts';
import { revokeSessions, sessionUserOf, startSession, type TokenPair } from './sessions.service.ts';
import { acceptSecondFactor, acceptTotpCode, emailStepRequired, hasConfirmedTotp, issueRecoveryCodes, loginStepOf, removeTotp, startEnrolment } from './totp.service.ts';

/**
 * The read-cache reference (lib/cache.ts) of what cached answers show of accounts (names, email,
 * whether active or erased, role: the doctor list, reviewers' first names, the admin patient
 * search's matches): every change of those invalidates it.
 */
export const ACCOUNTS_CACHE_REF = 'accounts';

export const MAX_FAILED_LOGINS = 10;
export const LOCKOUT_MINUTES = 15;

export const userViewSelect = {
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

/** The user as answered; `twoStepLogin` is on whenever their role must use it (MFA_REQUIRED_ROLES). */
export function toUserView(user: UserRow, config: Config): UserView {
  return { ...user, twoStepLogin: emailStepRequired(config, user), createdAt: user.createdAt.toISOString() };
}

function assertPasswordPolicy(password: string, email: string, field: string): void {
  const problem = checkPasswordPolicy(password, { email });
  if (problem) throw passwordPolicyViolation(field, problem);
}

export const REGISTERED_DETAIL = 'Check your email for the activation code.';

/**
 * Registers a patient account and mails an activation code. Every email costs the same here (a
 * hash and one job insert); the job creates the account, replaces a never-activated one, or
 * does nothing for an active one, so neither the answer nor its timing tells which happened.
 */
export async function register(ctx: ServiceContext, input: RegisterInput) {
  assertPasswordPolicy(input.password, input.email, 'password');
  const passwordHash = await hashPassword(input.password);
  const job: RegistrationJob = {
    newUserId: uuidv7(),
    email: input.email,
    passwordHash,
    firstName: input.firstName ?? '',
    lastName: input.lastName ?? '',
    phone: input.phone ?? null,
    meta: ctx.meta,
    requestedAt: ctx.clock.now().toISOString(),
  };
  await ctx.jobs.enqueue(ctx.db, ACCOUNT_QUEUES.registration.name, job);
  return { id: job.newUserId, email: input.email, isActive: false as const, detail: REGISTERED_DETAIL };
}

/** Queues "send a code of this purpose to this email if the account may get one": one insert for any email. */
async function requestCode(ctx: ServiceContext, email: string, purpose: SendCodeJob['purpose']): Promise<void> {
  await ctx.jobs.enqueue(ctx.db, ACCOUNT_QUEUES.sendCode.name, { email, purpose, requestedAt: ctx.clock.now().toISOString() } satisfies SendCodeJob);
}

async function findUserByEmail(ctx: ServiceContext, email: string) {
  return ctx.db.user.findUnique({
    where: { email },
    select: { ...userViewSelect, passwordHash: true, lockedUntil: true, deletedAt: true },
  });
}

/** Why a right activation code did not activate: the transaction rolls back so the code stays usable. */
class ActivationRefused extends Error {
  readonly reason: 'password_required' | 'password_mismatch';
  constructor(reason: ActivationRefused['reason']) {
    super(reason);
    this.reason = reason;
  }
}

type Registration = Pick<UserRow, 'firstName' | 'lastName' | 'phone'> & { passwordHash: string };

/**
 * The registration an activation keeps. Once the email was registered more than once the
 * password is required and picks the registration; with one registration it may be left out
 * (and must match when sent). Accounts registered before registrations were kept have none: the
 * account's own password and profile stand for the one registration.
 */
async function chooseRegistration(registrations: readonly Registration[], password: string | undefined): Promise<Registration> {
  if (password === undefined) {
    if (registrations.length !== 1) throw new ActivationRefused('password_required');
    return registrations[0]!;
  }
  for (const registration of registrations) {
    if (await verifyPassword(registration.passwordHash, password)) return registration;
  }
  throw new ActivationRefused('password_mismatch');
}

/**
 * Activates the account with the emailed code; its owner becomes a patient (`account.activated`).
 * Passwords are judged only after a right code, so the answers to wrong codes never tell whether
 * an email was registered more than once, and only the mailbox owner can try passwords.
 */
export async function activateAccount(ctx: ServiceContext, input: ActivateInput): Promise<void> {
  const found = await findUserByEmail(ctx, input.email);
  // Any other email is checked like one whose code is spent: the same counter, the same answers.
  const user = found && !found.isActive && !found.deletedAt ? found : null;
  let check: Awaited<ReturnType<typeof checkOtp>>;
  try {
    check = await inTransaction(ctx, async (tx) => {
      const result = await checkOtp(tx, { email: input.email, id: user?.id ?? null }, 'activation', input.otp);
      if (result !== 'ok' || !user) return result;
      const kept = await tx.db.pendingRegistration.findMany({
        where: { userId: user.id },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        select: { passwordHash: true, firstName: true, lastName: true, phone: true },
      });
      const registrations = kept.length > 0 ? kept : [user];
      const chosen = await chooseRegistration(registrations, input.password);
      await tx.db.user.update({
        where: { id: user.id },
        data: { isActive: true, passwordHash: chosen.passwordHash, firstName: chosen.firstName, lastName: chosen.lastName, phone: chosen.phone },
      });
      await tx.db.pendingRegistration.deleteMany({ where: { userId: user.id } });
      await tx.events.publish(tx, 'account.activated', { userId: user.id, phone: chosen.phone });
      await recordAudit(tx, { action: 'account.activate', outcome: 'success', actorId: user.id, metadata: { registrations: registrations.length } });
      return result;
    });
  } catch (error) {
    if (!(error instanceof ActivationRefused) || !user) throw error;
    if (error.reason === 'password_required') throw passwordRequired();
    await recordFailedLogin(ctx, user, 'wrong_activation_password');
    throw registrationPasswordMismatch();
  }
  if (check !== 'ok') throw otpError(check);
}

/** Sends a new activation code to an account that is not active yet; silent otherwise. */
export async function resendActivation(ctx: ServiceContext, input: EmailInput): Promise<void> {
  await requestCode(ctx, input.email, 'activation');
}

export type Session = TokenPair & { user: UserView };
export type LoginResult = { kind: 'session'; session: Session } | { kind: 'otp_required'; method: 'email' | 'totp' };

/** Counts a failed login (a wrong password, login code or current password); the tenth in a row locks the account. */
async function recordFailedLogin(ctx: ServiceContext, user: { id: string; email: string }, reason: string) {
  const lockUntil = new Date(ctx.clock.now().getTime() + LOCKOUT_MINUTES * 60_000);
  await inTransaction(ctx, async (tx) => {
    const locked = await countFailedLogin(tx.db, user.id, MAX_FAILED_LOGINS, lockUntil);
    await recordAudit(tx, { action: 'login.failure', outcome: 'failure', actorId: user.id, metadata: { reason } });
    if (locked) {
      await recordAudit(tx, { action: 'login.lockout', outcome: 'failure', actorId: user.id });
      await enqueueMail(tx.jobs, tx.db, { to: user.email, ...accountMails.accountLocked({ minutes: LOCKOUT_MINUTES }) });
    }
  });
}

async function openSession(ctx: ServiceContext, user: UserRow, secondStep?: 'email' | 'totp' | 'recovery_code'): Promise<Session> {
  const pair = await inTransaction(ctx, async (tx) => {
    await tx.db.user.update({ where: { id: user.id }, data: { failedLoginCount: 0, lockedUntil: null } });
    await recordAudit(tx, { action: 'login.success', outcome: 'success', actorId: user.id, ...(secondStep ? { metadata: { secondStep } } : {}) });
    return startSession(tx, user);
  });
  logins.inc({ result: 'succeeded' });
  return { ...pair, user: toUserView(user, ctx.config) };
}

const isLocked = (user: { lockedUntil: Date | null }, now: Date) => user.lockedUntil !== null && user.lockedUntil > now;

/** Password login. Every failure (unknown email, wrong password, locked account) answers alike. */
export async function login(ctx: ServiceContext, input: LoginInput): Promise<LoginResult> {
  const user = await findUserByEmail(ctx, input.email);
  if (!user || user.deletedAt || isLocked(user, ctx.clock.now())) {
    await verifyAgainstDummy(input.password);
    await recordAudit(ctx, {
      action: 'login.failure',
      outcome: 'failure',
      actorId: user?.id ?? null,
      subject: input.email,
      metadata: { reason: user && !user.deletedAt ? 'locked' : 'unknown_account' },
    });
    logins.inc({ result: 'failed' });
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordFailedLogin(ctx, user, 'wrong_password');
    logins.inc({ result: 'failed' });
    throw invalidCredentials();
  }
  if (needsRehash(user.passwordHash)) {
    // The hash predates the current argon2 parameters: upgrade it while the password is at hand.
    await ctx.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.password) } });
  }
  if (!user.isActive) {
    logins.inc({ result: 'failed' });
    throw accountNotActivated();
  }
  const step = await loginStepOf(ctx, user);
  if (step) {
    // The password step opens the one challenge a second step may answer; any earlier code is spent.
    await inTransaction(ctx, async (tx) => {
      if (step === 'totp') await openAppChallenge(tx, user);
      else await issueOtp(tx, user, 'login', { ignoreCooldown: true, sms: await loginCodePhoneOf(tx.db, user.id) });
    });
    return { kind: 'otp_required', method: step };
  }
  return { kind: 'session', session: await openSession(ctx, user) };
}

/** Resends the login code while a password step's challenge is live and unused; silent otherwise. */
export async function resendLoginOtp(ctx: ServiceContext, input: EmailInput): Promise<void> {
  await requestCode(ctx, input.email, 'login');
}

/**
 * Second step of a two-step login. Only a password step issues a login code and a finished login
 * spends it, so outside a live challenge the latest code is spent (otp_invalid); never while locked.
 */
export async function verifyLoginOtp(ctx: ServiceContext, input: LoginOtpInput): Promise<Session> {
  const user = await findUserByEmail(ctx, input.email);
  const step = user && user.isActive && !user.deletedAt && !isLocked(user, ctx.clock.now()) ? await loginStepOf(ctx, user) : null;
  if (!user || !step) throw otpError('otp_invalid');
  let answeredWith: 'email' | 'totp' | 'recovery_code' = 'email';
  const check = await inTransaction(ctx, async (tx) => {
    if (step === 'email') return checkOtp(tx, user, 'login', input.otp);
    // The challenge's own code was never sent: only the authenticator app or a recovery code answers it.
    return checkCode(tx, user, 'login', async (live) => {
      const accepted = live ? await acceptSecondFactor(tx, user.id, input.otp) : null;
      if (accepted) answeredWith = accepted;
      return accepted !== null;
    });
  });
  if (check !== 'ok') {
    await recordFailedLogin(ctx, user, 'wrong_login_code');
    logins.inc({ result: 'failed' });
    throw otpError(check);
  }
  return openSession(ctx, user, answeredWith);
}

/** Verifies the caller's current password; a wrong one counts toward lockout and is audited. */
async function assertCurrentPassword(ctx: ServiceContext, user: { id: string; email: string; passwordHash: string }, password: string, field: string) {
  if (await verifyPassword(user.passwordHash, password)) return;
  await recordFailedLogin(ctx, user, `wrong_${field}`);
  throw wrongCurrentPassword(field);
}

/** Changes the caller's password and signs out every other session. */
export async function changePassword(ctx: ServiceContext, input: ChangePasswordInput, actor: Actor): Promise<void> {
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { id: true, email: true, passwordHash: true } });
  await assertCurrentPassword(ctx, user, input.oldPassword, 'oldPassword');
  assertPasswordPolicy(input.newPassword, user.email, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  await inTransaction(ctx, async (tx) => {
    await tx.db.user.update({ where: { id: user.id }, data: { passwordHash } });
    await revokeSessions(tx, { userId: user.id, keepSessionId: actor.sessionId });
    await recordAudit(tx, { action: 'password.change', outcome: 'success', actorId: user.id });
    await enqueueMail(tx.jobs, tx.db, { to: user.email, ...accountMails.passwordChanged() });
  });
}

/** Mails a password reset code to an active account; silent for any other email. */
export async function requestPasswordReset(ctx: ServiceContext, input: EmailInput): Promise<void> {
  await requestCode(ctx, input.email, 'password_reset');
}

/**
 * Sets a new password with a reset code; unlocks the account and signs out every session. The
 * new password is hashed before the lookup and the code is checked in a transaction for every
 * email, so an unknown email costs what a wrong code costs.
 */
export async function confirmPasswordReset(ctx: ServiceContext, input: ResetPasswordInput): Promise<void> {
  assertPasswordPolicy(input.newPassword, input.email, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  const user = await findUserByEmail(ctx, input.email);
  const eligible = user && user.isActive && !user.deletedAt ? user : null;
  const check = await inTransaction(ctx, async (tx) => {
    const result = await checkOtp(tx, { email: input.email, id: eligible?.id ?? null }, 'password_reset', input.otp);
    if (result !== 'ok' || !eligible) return result === 'ok' ? 'otp_invalid' : result;
    await tx.db.user.update({ where: { id: eligible.id }, data: { passwordHash, failedLoginCount: 0, lockedUntil: null } });
    await revokeSessions(tx, { userId: eligible.id });
    await recordAudit(tx, { action: 'password.reset', outcome: 'success', actorId: eligible.id });
    await enqueueMail(tx.jobs, tx.db, { to: eligible.email, ...accountMails.passwordChanged() });
    return result;
  });
  if (check !== 'ok') throw otpError(check);
}

/** The caller's account: the row the request's session check already read, else one query. */
export async function getMe(ctx: ServiceContext, actor: Actor): Promise<UserView> {
  const user = sessionUserOf(actor) ?? (await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: userViewSelect }));
  return toUserView(user, ctx.config);
}

/**
 * Updates the caller's own account. Turning two-step login off weakens the account, so it needs
 * the current password; the owner is mailed whenever the setting changes.
 */
export async function updateMe(ctx: ServiceContext, input: UpdateMeInput, actor: Actor): Promise<UserView> {
  const { currentPassword, ...changes } = input;
  const current = await ctx.db.user.findUniqueOrThrow({
    where: { id: actor.userId },
    select: { id: true, email: true, passwordHash: true, twoStepLogin: true, phone: true },
  });
  if (changes.twoStepLogin === false && emailStepRequired(ctx.config, { role: actor.role, twoStepLogin: false })) throw twoStepRequiredByRole();
  const twoStepChanges = changes.twoStepLogin !== undefined && changes.twoStepLogin !== current.twoStepLogin;
  if (twoStepChanges && !changes.twoStepLogin) {
    if (currentPassword === undefined) throw missingField('currentPassword', 'is required to turn two-step login off');
    await assertCurrentPassword(ctx, current, currentPassword, 'currentPassword');
  }
  return inTransaction(ctx, async (tx) => {
    // A new number is unproven: what relied on the old one stops (notifications.service.ts).
    if (changes.phone !== undefined && changes.phone !== current.phone) await phoneChanged(tx, actor.userId);
    const user = await tx.db.user.update({ where: { id: actor.userId }, data: changes, select: userViewSelect });
    if (changes.firstName !== undefined || changes.lastName !== undefined) await tx.cache.invalidate([ACCOUNTS_CACHE_REF]);
    if (twoStepChanges) {
      await recordAudit(tx, { action: 'two_step.change', outcome: 'success', actorId: user.id, metadata: { enabled: user.twoStepLogin } });
      await enqueueMail(tx.jobs, tx.db, { to: user.email, ...accountMails.twoStepChanged({ enabled: user.twoStepLogin }) });
    }
    return toUserView(user, tx.config);
  });
}

// --- Authenticator app (TOTP) ---------------------------------------------------------------------

const credentialsOf = (ctx: ServiceContext, actor: Actor) =>
  ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { id: true, email: true, passwordHash: true } });

/** A wrong authenticator or recovery code on the caller's own routes: a failed login, then 400 otp_invalid. */
async function refuseCode(ctx: ServiceContext, user: { id: string; email: string }): Promise<never> {
  await recordFailedLogin(ctx, user, 'wrong_authenticator_code');
  throw otpError('otp_invalid');
}

/** Starts setting up an authenticator app (not a login step until confirmed); needs the current password. */
export async function enrolTotp(ctx: ServiceContext, input: TotpEnrolInput, actor: Actor): Promise<{ secret: string; otpauthUrl: string }> {
  const user = await credentialsOf(ctx, actor);
  await assertCurrentPassword(ctx, user, input.currentPassword, 'currentPassword');
  if (await hasConfirmedTotp(ctx.db, user.id)) throw totpAlreadyEnabled();
  return inTransaction(ctx, (tx) => startEnrolment(tx, user));
}

/** Confirms the enrolment with a first code: the app becomes the login step, and 10 recovery codes are answered once. */
export async function confirmTotp(ctx: ServiceContext, input: TotpConfirmInput, actor: Actor): Promise<{ recoveryCodes: string[] }> {
  const user = await credentialsOf(ctx, actor);
  const pending = await ctx.db.totpFactor.count({ where: { userId: user.id, confirmedAt: null } });
  if (pending === 0) throw noTotpEnrolment();
  const recoveryCodes = await inTransaction(ctx, async (tx) => {
    if (!(await acceptTotpCode(tx, user.id, input.code, 'pending'))) return null;
    const codes = await issueRecoveryCodes(tx, user.id);
    await recordAudit(tx, { action: 'two_step.change', outcome: 'success', actorId: user.id, metadata: { method: 'totp', enabled: true } });
    await enqueueMail(tx.jobs, tx.db, { to: user.email, ...accountMails.twoStepChanged({ enabled: true, method: 'totp' }) });
    return codes;
  });
  return recoveryCodes ? { recoveryCodes } : refuseCode(ctx, user);
}

/** Removes the authenticator app; needs the current password and a code from the app (or a recovery code). */
export async function disableTotp(ctx: ServiceContext, input: TotpDisableInput, actor: Actor): Promise<void> {
  const user = await credentialsOf(ctx, actor);
  if (!(await hasConfirmedTotp(ctx.db, user.id))) throw noTotp();
  await assertCurrentPassword(ctx, user, input.currentPassword, 'currentPassword');
  const removed = await inTransaction(ctx, async (tx) => {
    if (!(await acceptSecondFactor(tx, user.id, input.code))) return false;
    await removeTotp(tx, user.id);
    await recordAudit(tx, { action: 'two_step.change', outcome: 'success', actorId: user.id, metadata: { method: 'totp', enabled: false } });
    await enqueueMail(tx.jobs, tx.db, { to: user.email, ...accountMails.twoStepChanged({ enabled: false, method: 'totp' }) });
    return true;
  });
  if (!removed) await refuseCode(ctx, user);
}

/** Admin list of users, newest first. */
export async function listUsers(ctx: ServiceContext, query: UserListQuery, actor: Actor): Promise<{ count: number; results: UserView[] }> {
  if (actor.role !== 'admin') throw new ForbiddenError();
  const where: Prisma.UserWhereInput = {
    ...(query.role ? { role: query.role } : {}),
    ...(query.isActive === undefined ? {} : { isActive: query.isActive }),
    ...(query.search
      ? {
          // Prisma's `contains` passes LIKE wildcards through: `%` alone would match every user.
          OR: (['firstName', 'lastName', 'email'] as const).map((field) => ({
            [field]: { contains: escapeLikeWildcards(query.search!), mode: 'insensitive' as const },
          })),
        }
      : {}),
  };
  const [count, users] = await Promise.all([
    ctx.db.user.count({ where }),
    ctx.db.user.findMany({ where, select: userViewSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...pageWindow(query) }),
  ]);
  return { count, results: users.map((user) => toUserView(user, ctx.config)) };
}

// --- For other modules (through index.ts) -------------------------------------------------------

/** The addresses staff notifications go to: every active admin's, from the database only. */
export async function activeAdminEmails(ctx: Pick<TxContext, 'db'>): Promise<string[]> {
  const admins = await ctx.db.user.findMany({ where: { role: 'admin', isActive: true, deletedAt: null }, select: { email: true } });
  return admins.map((admin) => admin.email);
}

/** Sets the account's names (patients edit theirs through their profile), inside the caller's transaction. */
export async function setNames(tx: TxContext, input: { userId: string; firstName?: string | undefined; lastName?: string | undefined }): Promise<void> {
  if (input.firstName === undefined && input.lastName === undefined) return;
  await tx.db.user.update({
    where: { id: input.userId },
    data: {
      ...(input.firstName === undefined ? {} : { firstName: input.firstName }),
      ...(input.lastName === undefined ? {} : { lastName: input.lastName }),
      updatedAt: tx.clock.now(),
    },
  });
  await tx.cache.invalidate([ACCOUNTS_CACHE_REF]);
}

/** Gives the account `role` (effective on its next request), audited as done by `actor`. Admins stay admins. */
export async function grantRole(tx: TxContext, input: { userId: string; role: Role }, actor: Actor): Promise<void> {
  const user = await tx.db.user.findUniqueOrThrow({ where: { id: input.userId }, select: { role: true } });
  if (user.role === 'admin' || user.role === input.role) return;
  await tx.db.user.update({ where: { id: input.userId }, data: { role: input.role, updatedAt: tx.clock.now() } });
  await tx.cache.invalidate([ACCOUNTS_CACHE_REF]);
  await recordAudit(tx, {
    action: 'role.change',
    outcome: 'success',
    actorId: actor.userId,
    subjectType: 'user',
    subjectId: input.userId,
    subjectUserId: input.userId,
    metadata: { role: input.role },
  });
}

/** The address an erased account's email is replaced with: unique, never deliverable (RFC 2606 `.invalid`). */
export const tombstoneEmail = (userId: string) => `erased-${userId}@erased.invalid`;

/**
 * Erases the account inside the caller's transaction: deactivated, every session revoked, every
 * code spent, the authenticator app removed, names and phone erased, and the email freed (a tombstone) so it can register again.
 */
export async function eraseAccount(tx: TxContext, input: { userId: string }): Promise<void> {
  const now = tx.clock.now();
  await tx.db.user.update({
    where: { id: input.userId },
    data: {
      email: tombstoneEmail(input.userId),
      firstName: '',
      lastName: '',
      phone: null,
      phoneVerifiedAt: null,
      isActive: false,
      twoStepLogin: false,
      deletedAt: now,
      updatedAt: now,
    },
  });
  await tx.cache.invalidate([ACCOUNTS_CACHE_REF]);
  await revokeSessions(tx, { userId: input.userId });
  await tx.db.otpCode.deleteMany({ where: { userId: input.userId } });
  await removeTotp(tx, input.userId);
  await recordAudit(tx, { action: 'account.erase', outcome: 'success', actorId: input.userId });
}
