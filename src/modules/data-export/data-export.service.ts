// Self-service data export (GDPR articles 15 and 20): a user asks for everything the service holds
// about them, at most once a day; a job gathers it from each module's public read function into
// one JSON document, stores it as a private media file served to its owner for 24 h, and mails
// the link. Requests and deliveries are audited.
import { inTransaction, type Actor, type ServiceContext } from '../../lib/context.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { lockKey } from '../../lib/locks.ts';
import { accountDataOf } from '../accounts/index.ts';
import { auditDataOf, recordAudit } from '../audit/index.ts';
import { doctorDataOf } from '../doctors/index.ts';
import { filesDataOf, mediaUrl, storeGeneratedFile } from '../media/index.ts';
import { applicationsDataOf } from '../operations/index.ts';
import { patientDataOf } from '../patients/index.ts';
import { reviewsDataOf } from '../reviews/index.ts';
import { appointmentsDataOf } from '../scheduling/index.ts';
import { exportNotFound, oneExportPerDay } from './data-export.errors.ts';
import { exportMails } from './data-export.mails.ts';
import type { BuildExportJob, ExportStatus, ExportView } from './data-export.schemas.ts';

const DAY_MS = 86_400_000;
export const EXPORT_QUEUE = { name: 'data-export.build', expireInSeconds: 600 };

/**
 * Queues an export of the caller's data. One a day: a request within 24 h of the last one that
 * did not fail answers 429 with the seconds left in Retry-After, whatever the rate limits say.
 */
export async function requestExport(ctx: ServiceContext, actor: Actor): Promise<{ id: string; status: 'queued' }> {
  return inTransaction(ctx, async (tx) => {
    await lockKey(tx.db, 'data-export', actor.userId);
    const now = tx.clock.now();
    const last = await tx.db.dataExport.findFirst({
      where: { userId: actor.userId, status: { not: 'failed' }, createdAt: { gt: new Date(now.getTime() - DAY_MS) } },
      orderBy: { createdAt: 'desc' },
      select: { createdAt: true },
    });
    if (last) throw oneExportPerDay((last.createdAt.getTime() + DAY_MS - now.getTime()) / 1000);
    const { id } = await tx.db.dataExport.create({ data: { userId: actor.userId, status: 'queued', createdAt: now }, select: { id: true } });
    await tx.jobs.enqueue(tx.db, EXPORT_QUEUE.name, { exportId: id } satisfies BuildExportJob);
    await recordAudit(tx, { action: 'data_export.request', outcome: 'success', actorId: actor.userId, actorRole: actor.role, subjectType: 'data_export', subjectId: id });
    return { id, status: 'queued' as const };
  });
}

/** The caller's export; anyone else's (or none) is 404. The link is given while the file is served. */
export async function getExport(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<ExportView> {
  const row = await ctx.db.dataExport.findFirst({
    where: { id: input.id, userId: actor.userId },
    select: { id: true, status: true, mediaId: true, expiresAt: true },
  });
  if (!row) throw exportNotFound();
  const served = row.status === 'ready' && row.expiresAt !== null && row.expiresAt.getTime() > ctx.clock.now().getTime();
  return {
    id: row.id,
    status: row.status as ExportStatus,
    downloadUrl: served ? mediaUrl(ctx.config, row.mediaId) : null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

/** Everything the service holds about `userId`, each part from the module that owns it. */
async function collect(ctx: ServiceContext, userId: string) {
  const { account, notificationSettings, sessions } = await accountDataOf(ctx.db, userId);
  return {
    exportedAt: ctx.clock.now().toISOString(),
    account,
    notificationSettings,
    sessions,
    patient: await patientDataOf(ctx, userId),
    doctor: await doctorDataOf(ctx.db, userId),
    appointments: await appointmentsDataOf(ctx.db, userId),
    reviews: await reviewsDataOf(ctx.db, userId),
    doctorApplications: await applicationsDataOf(ctx.db, userId),
    files: await filesDataOf(ctx, userId),
    auditEvents: await auditDataOf(ctx.db, userId),
  };
}

/**
 * The job: builds the document, stores it (served to the owner until 24 h from now) and, in one
 * transaction, marks the export ready, mails the link and audits the delivery. An export that is
 * no longer queued (a repeated job) is left alone; one that cannot be built is marked failed, so
 * its owner may ask again at once.
 */
export async function buildExport(ctx: ServiceContext, job: BuildExportJob): Promise<void> {
  const row = await ctx.db.dataExport.findUnique({ where: { id: job.exportId }, select: { userId: true, status: true } });
  if (!row || row.status !== 'queued') return;
  const { userId } = row;
  try {
    const document = await collect(ctx, userId);
    const email = document.account?.email;
    if (!email) throw new Error('the account of the export is gone');
    const readyAt = ctx.clock.now();
    const expiresAt = new Date(readyAt.getTime() + DAY_MS);
    const body = Buffer.from(`${JSON.stringify(document, null, 2)}\n`);
    const name = `clinic-data-export-${readyAt.toISOString().slice(0, 10)}.json`;
    await storeGeneratedFile(ctx, { kind: 'data_export', ownerId: userId, contentType: 'application/json', body, name, expiresAt }, async (tx, mediaId) => {
      const { count } = await tx.db.dataExport.updateMany({ where: { id: job.exportId, status: 'queued' }, data: { status: 'ready', mediaId, readyAt, expiresAt } });
      if (count === 0) throw new Error('the export was built twice at once');
      await enqueueMail(tx.jobs, tx.db, { to: email, ...exportMails.ready({ downloadUrl: mediaUrl(ctx.config, mediaId)!, expiresAt }) });
      await recordAudit(tx, { action: 'data_export.ready', outcome: 'success', actorId: userId, subjectType: 'data_export', subjectId: job.exportId });
      return { result: undefined };
    });
  } catch (error) {
    ctx.logger.error({ err: error, exportId: job.exportId }, 'data export failed');
    await ctx.db.dataExport.updateMany({ where: { id: job.exportId, status: 'queued' }, data: { status: 'failed' } });
  }
}
