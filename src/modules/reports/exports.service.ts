// CSV exports as jobs: an admin exports appointments or patients, a doctor their own
// appointments. The job streams the rows from a database cursor through the CSV writer (in a
// worker thread, exports.stream.ts) into storage (never the whole file in memory), keeps the file as a private media file served to the
// requester for 24 h, mails the link and audits the request and the delivery.
import { inTransaction, type Actor, type ServiceContext } from '../../lib/context.ts';
import { lockKey } from '../../lib/locks.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { recordAudit } from '../audit/index.ts';
import { mediaUrl, storeGeneratedFile } from '../media/index.ts';
import { exportNotFound, exportInProgress, patientsForAdminsOnly } from './reports.errors.ts';
import { csvExport } from './exports.stream.ts';
import { reportMails } from './reports.mails.ts';
import * as queries from './reports.queries.ts';
import { checkRange, scopeDoctor } from './reports.service.ts';
import type { BuildExportJob, ExportBody, ExportKind, ExportStatus, ExportView } from './reports.schemas.ts';

const DAY_MS = 86_400_000;
// A million rows take about a minute; a worker gone longer than this is presumed dead.
export const CSV_EXPORT_QUEUE = { name: 'reports.csv-export', expireInSeconds: 3600 };
/**
 * Longer than an export's job can live (six attempts of up to an hour, with the retry delays): an
 * export still queued after this was lost with its job (a worker crashing on every attempt), and
 * no longer holds its requester back.
 */
const LOST_EXPORT_MS = 8 * 3600 * 1000;

/** `YYYY-MM-DD` of a DATE column (read as midnight UTC). */
const dateText = (date: Date | null) => date?.toISOString().slice(0, 10) ?? null;
const dateValue = (text: string | undefined) => (text === undefined ? null : new Date(`${text}T00:00:00Z`));

/**
 * Queues an export; doctors may export their own appointments only. One export per requester is
 * queued or being built at a time (a job holds a connection for minutes): another request until it
 * is ready or failed answers 422. The requester's advisory lock makes concurrent requests count
 * one after another.
 */
export async function requestExport(ctx: ServiceContext, body: ExportBody, actor: Actor): Promise<{ id: string; status: 'queued' }> {
  if (actor.role === 'doctor' && body.kind !== 'appointments') throw patientsForAdminsOnly();
  checkRange(body, 'body');
  const doctorId = actor.role === 'doctor' ? await scopeDoctor(ctx, actor, undefined) : null;
  return inTransaction(ctx, async (tx) => {
    await lockKey(tx.db, 'report-export', actor.userId);
    // An export stays queued while its job builds it.
    const inProgress = { requesterId: actor.userId, status: 'queued' as const, createdAt: { gt: new Date(ctx.clock.now().getTime() - LOST_EXPORT_MS) } };
    if ((await tx.db.reportExport.count({ where: inProgress })) > 0) throw exportInProgress();
    const { id } = await tx.db.reportExport.create({
      data: {
        requesterId: actor.userId,
        kind: body.kind,
        doctorId,
        fromDate: dateValue(body.from),
        toDate: dateValue(body.to),
        timezone: ctx.config.reportTimezone,
        status: 'queued',
        createdAt: tx.clock.now(),
      },
      select: { id: true },
    });
    await tx.jobs.enqueue(tx.db, CSV_EXPORT_QUEUE.name, { exportId: id } satisfies BuildExportJob);
    await recordAudit(tx, {
      action: 'report_export.request',
      outcome: 'success',
      actorId: actor.userId,
      actorRole: actor.role,
      subjectType: 'report_export',
      subjectId: id,
      metadata: { kind: body.kind },
    });
    return { id, status: 'queued' as const };
  });
}

/** The caller's export; anyone else's (another admin's included) is 404. The link is given while the file is served. */
export async function getExport(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<ExportView> {
  const row = await ctx.db.reportExport.findFirst({
    where: { id: input.id, requesterId: actor.userId },
    select: { id: true, kind: true, status: true, rowCount: true, mediaId: true, expiresAt: true },
  });
  if (!row) throw exportNotFound();
  const served = row.status === 'ready' && row.expiresAt !== null && row.expiresAt.getTime() > ctx.clock.now().getTime();
  return {
    id: row.id,
    kind: row.kind as ExportKind,
    status: row.status as ExportStatus,
    rowCount: row.rowCount,
    downloadUrl: served ? mediaUrl(ctx.config, row.mediaId) : null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

/**
 * The job: streams the export's rows into a stored CSV file and, in one transaction, marks the
 * export ready, mails the link and audits the delivery. An export no longer queued (a repeated
 * job) is left alone; one that fails is marked failed.
 */
export async function buildExport(ctx: ServiceContext, job: BuildExportJob): Promise<void> {
  const row = await ctx.db.reportExport.findUnique({ where: { id: job.exportId } });
  if (!row || row.status !== 'queued') return;
  const kind = row.kind as ExportKind;
  try {
    const email = await queries.emailOfUser(ctx.db, row.requesterId);
    if (email === null) throw new Error('the requester of the export is gone');
    const statement = queries.exportStatement({ kind, from: dateText(row.fromDate), to: dateText(row.toDate), timezone: row.timezone, doctorId: row.doctorId });
    const readyAt = ctx.clock.now();
    const expiresAt = new Date(readyAt.getTime() + DAY_MS);
    const name = `clinic-${kind}-${readyAt.toISOString().slice(0, 10)}.csv`;
    // Its own connection, not one of the pool the API shares: a long export holds it for minutes.
    const csv = csvExport({ databaseUrl: ctx.config.database.url, ...statement, columns: queries.EXPORT_COLUMNS[kind] });
    const file = { kind: 'report_export' as const, ownerId: row.requesterId, contentType: 'text/csv; charset=utf-8', body: csv.stream, name, expiresAt };
    try {
      await storeGeneratedFile(ctx, file, async (tx, mediaId) => {
        const rowCount = csv.rows();
        const { count } = await tx.db.reportExport.updateMany({ where: { id: job.exportId, status: 'queued' }, data: { status: 'ready', rowCount, mediaId, readyAt, expiresAt } });
        if (count === 0) throw new Error('the export was built twice at once');
        await enqueueMail(tx.jobs, tx.db, { to: email, ...reportMails.exportReady({ kind, rowCount, downloadUrl: mediaUrl(ctx.config, mediaId)!, expiresAt }) });
        await recordAudit(tx, {
          action: 'report_export.ready',
          outcome: 'success',
          actorId: row.requesterId,
          subjectType: 'report_export',
          subjectId: job.exportId,
          metadata: { kind, rowCount },
        });
        return { result: undefined };
      });
    } finally {
      // A store that failed before reading it all would leave the cursor and its connection open.
      csv.stream.destroy();
    }
  } catch (error) {
    ctx.logger.error({ err: error, exportId: job.exportId }, 'CSV export failed');
    await ctx.db.reportExport.updateMany({ where: { id: job.exportId, status: 'queued' }, data: { status: 'failed' } });
  }
}
