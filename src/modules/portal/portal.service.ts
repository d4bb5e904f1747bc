// The public portal's inboxes: contact messages and bug reports (with an optional screenshot) are
// stored and every active admin is mailed in the same transaction; admins page through them.
import type { ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import type { UploadLimits } from '../../lib/uploads.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { storeAndCommit, type IncomingFile } from '../media/media.service.ts';
import { mediaUrl, type MediaContext } from '../media/media.storage.ts';
import { portalMails } from './portal.mails.ts';
import type { BugReportInput, BugReportView, ContactInput, ContactMessageView, Received } from './portal.schemas.ts';

/** Bug screenshots: PNG or JPEG by content, at most 5 MiB; visible to admins only (media module). */
export const SCREENSHOT_LIMITS: UploadLimits = { maxBytes: 5 * 1024 * 1024, allowed: ['image/png', 'image/jpeg'] };

/** Staff notifications go to every active admin; addresses come from the database only. */
async function mailAdmins(ctx: ServiceContext, tx: DbClient, mail: { subject: string; text: string; html: string }): Promise<void> {
  const admins = await tx.user.findMany({ where: { role: 'admin', isActive: true, deletedAt: null }, select: { email: true } });
  for (const admin of admins) await enqueueMail(ctx.jobs, tx, { to: admin.email, ...mail });
}

// --- Contact messages ---------------------------------------------------------------------------

export async function receiveContact(ctx: ServiceContext, input: ContactInput): Promise<Received> {
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.contactMessage.create({
      data: { name: input.name, email: input.email, phone: input.phone ?? null, subject: input.subject, message: input.message, createdAt: ctx.clock.now() },
      select: { id: true },
    });
    await mailAdmins(ctx, tx, portalMails.contact(input));
    return { id: row.id, detail: 'Thank you: your message was received and the clinic staff were notified.' };
  });
}

const contactSelect = { id: true, name: true, email: true, phone: true, subject: true, message: true, createdAt: true } as const;

/** The admins' inbox, newest first. */
export async function listContactMessages(ctx: ServiceContext, query: PageQuery): Promise<{ count: number; results: ContactMessageView[] }> {
  const [count, rows] = await Promise.all([
    ctx.db.contactMessage.count(),
    ctx.db.contactMessage.findMany({ select: contactSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...pageWindow(query) }),
  ]);
  return { count, results: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })) };
}

// --- Bug reports --------------------------------------------------------------------------------

async function createBugReport(tx: DbClient, ctx: MediaContext, input: BugReportInput, screenshotId: string | null): Promise<Received> {
  const row = await tx.bugReport.create({
    data: {
      email: input.email ?? null,
      title: input.title,
      description: input.description,
      pageUrl: input.pageUrl ?? null,
      screenshotId,
      createdAt: ctx.clock.now(),
    },
    select: { id: true },
  });
  await mailAdmins(ctx, tx, portalMails.bugReport({ ...input, screenshotUrl: mediaUrl(ctx.config, screenshotId) }));
  return { id: row.id, detail: 'Thank you: your report was received.' };
}

/** A bug report, optionally with a screenshot (stored first; nothing is left behind when the report fails). */
export async function reportBug(ctx: MediaContext, input: BugReportInput & { screenshot?: IncomingFile | undefined }): Promise<Received> {
  const { screenshot, ...report } = input;
  if (!screenshot) return ctx.db.$transaction((tx) => createBugReport(tx, ctx, report, null));
  return storeAndCommit(ctx, screenshot, { kind: 'bug_screenshot', ownerId: null, limits: SCREENSHOT_LIMITS }, async (tx, media) => ({
    result: await createBugReport(tx, ctx, report, media.id),
  }));
}

const bugSelect = { id: true, email: true, title: true, description: true, pageUrl: true, screenshotId: true, createdAt: true } as const;

/** The admins' inbox, newest first. */
export async function listBugReports(ctx: ServiceContext, query: PageQuery): Promise<{ count: number; results: BugReportView[] }> {
  const [count, rows] = await Promise.all([
    ctx.db.bugReport.count(),
    ctx.db.bugReport.findMany({ select: bugSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...pageWindow(query) }),
  ]);
  return {
    count,
    results: rows.map(({ screenshotId, createdAt, ...rest }) => ({ ...rest, screenshotUrl: mediaUrl(ctx.config, screenshotId), createdAt: createdAt.toISOString() })),
  };
}
