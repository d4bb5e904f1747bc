// Background work of the accounts module: what registration and the "send me a code" routes do
// once they have answered (so their answers cost the same for every email), and the daily purge
// of accounts never activated and of idle code counters.
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import { inTransaction, type RequestMeta, type ServiceContext } from '../../lib/context.ts';
import type { QueueSpec } from '../../lib/jobs.ts';
import { lockKey } from '../../lib/locks.ts';
import { recordAudit } from '../audit/index.ts';
import type { ModuleJob } from '../module.ts';
import { loginCodePhoneOf } from './notifications.service.ts';
import { countUnmailedSend, invalidateOtps, issueOtp, liveLoginChallenge, purgeOtpCounters } from './otp.service.ts';
import { loginStepOf } from './totp.service.ts';

/** Never-activated accounts are deleted this long after registration. */
export const UNACTIVATED_ACCOUNT_DAYS = 7;

export const ACCOUNT_QUEUES = {
  // Both payloads carry an email (and a password hash): stored encrypted. One at a time per
  // email, in order: cooldowns and hourly caps are judged at each request's time, so a later
  // request must not be handled before an earlier one. Other emails' jobs run side by side.
  // A job is one short transaction (its mail goes to the mail queue), so one still active after
  // 30 s belonged to a worker that died: it runs again then, not after the default 2 minutes that
  // held up registration mail (and that email's later jobs) after a worker crash.
  // Four batches at once per process: a job mostly waits on the database, so a flood of requests
  // for unknown emails drains four times faster and holds a real user's mail back that much less,
  // while taking at most four connections of the pool the API shares.
  registration: { name: 'accounts.registration', encrypted: true, deleteAfterSeconds: 3600, expireInSeconds: 30, orderBy: 'email', concurrency: 4 },
  sendCode: { name: 'accounts.send-code', encrypted: true, deleteAfterSeconds: 3600, expireInSeconds: 30, orderBy: 'email', concurrency: 4 },
  purge: { name: 'accounts.purge-unactivated', cron: '17 3 * * *' },
} as const satisfies Record<string, QueueSpec>;

export interface RegistrationJob {
  /** The id answered to the caller, used when the email is new. */
  newUserId: string;
  email: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  meta: RequestMeta;
  /** When the request came (ISO): cooldowns and code lifetimes count from it, not from when the job ran. */
  requestedAt: string;
}

export interface SendCodeJob {
  email: string;
  purpose: OtpPurpose;
  requestedAt: string;
}

/** The job's context with the clock stopped at the request's time. */
const atRequestTime = (ctx: ServiceContext, requestedAt: string): ServiceContext => ({ ...ctx, clock: { now: () => new Date(requestedAt) } });

/** Registrations of one never-activated account kept for activation to choose from. */
export const KEPT_REGISTRATIONS = 5;

/**
 * Creates the account, or, over a never-activated one, keeps this registration's password and
 * profile beside the earlier ones (activation then asks which password holds: none of them
 * replaces another), spends its codes and mails a fresh activation code. An active account is
 * left alone and nothing is sent.
 */
async function registerAccount(jobCtx: ServiceContext, job: RegistrationJob): Promise<void> {
  const ctx = { ...atRequestTime(jobCtx, job.requestedAt), meta: job.meta };
  await inTransaction(ctx, async (tx) => {
    await lockKey(tx.db, 'accounts', job.email);
    const existing = await tx.db.user.findUnique({ where: { email: job.email }, select: { id: true, email: true, isActive: true, deletedAt: true } });
    if (existing && (existing.isActive || existing.deletedAt)) return;
    const profile = { passwordHash: job.passwordHash, firstName: job.firstName, lastName: job.lastName, phone: job.phone };
    const user =
      existing ?? (await tx.db.user.create({ data: { id: job.newUserId, email: job.email, ...profile, createdAt: tx.clock.now() }, select: { id: true, email: true } }));
    await tx.db.pendingRegistration.create({ data: { userId: user.id, ...profile, createdAt: tx.clock.now() } });
    const kept = await tx.db.pendingRegistration.findMany({ where: { userId: user.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    await tx.db.pendingRegistration.deleteMany({ where: { id: { in: kept.slice(KEPT_REGISTRATIONS).map((row) => row.id) } } });
    if (existing) await invalidateOtps(tx, { userId: user.id });
    await issueOtp(tx, user, 'activation', { ignoreCooldown: true });
    await recordAudit(tx, { action: existing ? 'register.replace' : 'register', outcome: 'success', actorId: user.id });
  });
}

/**
 * Sends a code of `purpose` when the account may receive one. Activation and reset requests count
 * as sends of the email whatever it is (issueOtp), so the code routes answer alike for all emails.
 */
async function sendCode(jobCtx: ServiceContext, job: SendCodeJob): Promise<void> {
  const ctx = atRequestTime(jobCtx, job.requestedAt);
  const found = await ctx.db.user.findUnique({
    where: { email: job.email },
    select: { id: true, email: true, role: true, isActive: true, deletedAt: true, twoStepLogin: true },
  });
  const user = found && !found.deletedAt ? found : null;
  if (job.purpose === 'login') {
    // A login code is resent only inside the live challenge of a password step, and never outlives
    // it; an authenticator app's challenge is answered by the app, never by mail.
    const emailStep = user?.isActive && (await loginStepOf(ctx, user)) === 'email';
    const challenge = user && emailStep ? await liveLoginChallenge(ctx, user.id) : null;
    if (!user || !challenge) return;
    await inTransaction(ctx, async (tx) => issueOtp(tx, user, 'login', { expiresAt: challenge.expiresAt, sms: await loginCodePhoneOf(tx.db, user.id) }));
    return;
  }
  const eligible = user && (job.purpose === 'activation' ? !user.isActive : user.isActive) ? user : null;
  if (!eligible) return countUnmailedSend(ctx, job.email, job.purpose);
  await inTransaction(ctx, (tx) => issueOtp(tx, eligible, job.purpose));
}

/** Deletes accounts registered more than UNACTIVATED_ACCOUNT_DAYS ago and never activated. */
export async function purgeUnactivatedAccounts(ctx: Pick<ServiceContext, 'db' | 'clock'>): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - UNACTIVATED_ACCOUNT_DAYS * 24 * 3600 * 1000);
  const { count } = await ctx.db.user.deleteMany({ where: { isActive: false, deletedAt: null, createdAt: { lt: cutoff } } });
  return count;
}

export const accountJobs: ModuleJob[] = [
  { queue: ACCOUNT_QUEUES.registration, handle: (ctx, job: RegistrationJob) => registerAccount(ctx, job) },
  { queue: ACCOUNT_QUEUES.sendCode, handle: (ctx, job: SendCodeJob) => sendCode(ctx, job) },
  {
    queue: ACCOUNT_QUEUES.purge,
    handle: async (ctx) => {
      const count = await purgeUnactivatedAccounts(ctx);
      if (count > 0) ctx.logger.info({ count }, 'deleted never-activated accounts');
      const counters = await purgeOtpCounters(ctx);
      if (counters > 0) ctx.logger.info({ count: counters }, 'deleted idle code counters');
    },
  },
];
