// Background work of the accounts module: what registration and the "send me a code" routes do
// once they have answered (so their answers cost the same for every email), and the daily purge
// of accounts never activated.
import type { OtpPurpose } from '../../generated/prisma/enums.ts';
import type { RequestMeta } from '../../lib/context.ts';
import type { QueueSpec } from '../../lib/jobs.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type { ModuleJob, WorkerDeps } from '../module.ts';
import { invalidateOtps, issueOtp, liveLoginChallenge } from './otp.service.ts';

/** Never-activated accounts are deleted this long after registration. */
export const UNACTIVATED_ACCOUNT_DAYS = 7;

export const ACCOUNT_QUEUES = {
  // Both payloads carry an email (and a password hash): stored encrypted. One at a time per
  // email, in order: cooldowns and hourly caps are judged at each request's time, so a later
  // request must not be handled before an earlier one. Other emails' jobs run side by side.
  registration: { name: 'accounts.registration', encrypted: true, deleteAfterSeconds: 3600, orderBy: 'email' },
  sendCode: { name: 'accounts.send-code', encrypted: true, deleteAfterSeconds: 3600, orderBy: 'email' },
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

/** The worker's parts with the clock stopped at the request's time. */
const atRequestTime = (deps: WorkerDeps, requestedAt: string): WorkerDeps => ({ ...deps, clock: { now: () => new Date(requestedAt) } });

/**
 * Creates the account, or, over a never-activated one, replaces its password and profile and
 * spends its codes (so the first registrant's password never opens it), then mails a fresh
 * activation code. An active account is left alone and nothing is sent.
 */
async function registerAccount(workerDeps: WorkerDeps, job: RegistrationJob): Promise<void> {
  const deps = atRequestTime(workerDeps, job.requestedAt);
  await deps.db.$transaction(async (tx) => {
    const now = deps.clock.now();
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${job.email}))`;
    const existing = await tx.user.findUnique({ where: { email: job.email }, select: { id: true, isActive: true, deletedAt: true } });
    if (existing && (existing.isActive || existing.deletedAt)) return;
    const profile = { passwordHash: job.passwordHash, firstName: job.firstName, lastName: job.lastName, phone: job.phone };
    const user = existing
      ? await tx.user.update({ where: { id: existing.id }, data: { ...profile, twoStepLogin: false, failedLoginCount: 0, lockedUntil: null }, select: { id: true, email: true } })
      : await tx.user.create({ data: { id: job.newUserId, email: job.email, ...profile, createdAt: now }, select: { id: true, email: true } });
    if (existing) await invalidateOtps(tx, user.id, undefined, now);
    await issueOtp(tx, deps, user, 'activation', { ignoreCooldown: true });
    await recordAudit(tx, job.meta, { action: existing ? 'register.replace' : 'register', outcome: 'success', actorId: user.id }, now);
  });
}

/** Sends a code of `purpose` when the account may receive one; nothing otherwise. */
async function sendCode(workerDeps: WorkerDeps, job: SendCodeJob): Promise<void> {
  const deps = atRequestTime(workerDeps, job.requestedAt);
  const user = await deps.db.user.findUnique({
    where: { email: job.email },
    select: { id: true, email: true, isActive: true, deletedAt: true, twoStepLogin: true },
  });
  if (!user || user.deletedAt) return;
  const eligible = job.purpose === 'activation' ? !user.isActive : user.isActive;
  if (!eligible) return;
  if (job.purpose === 'login') {
    // A login code is resent only inside the live challenge of a password step, and never outlives it.
    const challenge = user.twoStepLogin ? await liveLoginChallenge(deps, user.id) : null;
    if (!challenge) return;
    await deps.db.$transaction((tx) => issueOtp(tx, deps, user, 'login', { expiresAt: challenge.expiresAt }));
    return;
  }
  await deps.db.$transaction((tx) => issueOtp(tx, deps, user, job.purpose));
}

/** Deletes accounts registered more than UNACTIVATED_ACCOUNT_DAYS ago and never activated. */
export async function purgeUnactivatedAccounts(deps: Pick<WorkerDeps, 'db' | 'clock'>): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - UNACTIVATED_ACCOUNT_DAYS * 24 * 3600 * 1000);
  const { count } = await deps.db.user.deleteMany({ where: { isActive: false, deletedAt: null, createdAt: { lt: cutoff } } });
  return count;
}

export const accountJobs: ModuleJob[] = [
  { queue: ACCOUNT_QUEUES.registration, handler: (deps) => (job: RegistrationJob) => registerAccount(deps, job) },
  { queue: ACCOUNT_QUEUES.sendCode, handler: (deps) => (job: SendCodeJob) => sendCode(deps, job) },
  {
    queue: ACCOUNT_QUEUES.purge,
    handler: (deps) => async () => {
      const count = await purgeUnactivatedAccounts(deps);
      if (count > 0) deps.logger.info({ count }, 'deleted never-activated accounts');
    },
  },
];
