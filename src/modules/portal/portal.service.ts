// The public portal's inboxes: contact messages and bug reports (with an optional screenshot) are
// stored and every active admin is mailed in the same transaction; admins page through them.
import { inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import type { RenderedMail } from '../../lib/mail-templates.ts';
import type { IncomingFile } from '../../lib/uploads.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { activeAdminEmails } from '../accounts/index.ts';
import { mediaUrl, storeOptionalFile } from '../media/index.ts';
import { portalMails } from './portal.mails.ts';
import type { BugReportInput, BugReportView, ContactInput, ContactMessageView, Received } from './portal.schemas.ts';

/** Staff notifications go to every active admin, in the transaction of what they announce. */
async function mailAdmins(tx: TxContext, mail: RenderedMail): Promise<void> {
  for (const email of await activeAdminEmails(tx)) await enqueueMail(tx.jobs, tx.db, { to: email, ...mail });
}

// --- Contact messages ---------------------------------------------------------------------------

export async function receiveContact(ctx: ServiceContext, input: ContactInput): Promise<Received> {
  return inTransaction(ctx, async (tx) => {
    const row = await tx.db.contactMessage.create({
      data: { name: input.name, email: input.email, phone: input.phone ?? null, subject: input.subject, message: input.message, createdAt: tx.clock.now() },
      select: { id: true },
    });
    await mailAdmins(tx, portalMails.contact(input));
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

async function createBugReport(tx: TxContext, input: BugReportInput, screenshotId: string | null): Promise<Received> {
  const row = await tx.db.bugReport.create({
    data: {
      email: input.email ?? null,
      title: input.title,
      description: input.description,
      pageUrl: input.pageUrl ?? null,
      screenshotId,
      createdAt: tx.clock.now(),
    },
    select: { id: true },
  });
  await mailAdmins(tx, portalMails.bugReport({ ...input, screenshotUrl: mediaUrl(tx.config, screenshotId) }));
  return { id: row.id, detail: 'Thank you: your report was received.' };
}

/** A bug report, optionally with a screenshot (stored first; nothing is left behind when the report fails). */
export async function reportBug(ctx: ServiceContext, input: BugReportInput & { screenshot?: IncomingFile | undefined }): Promise<Received> {
  const { screenshot, ...report } = input;
  return storeOptionalFile(ctx, { file: screenshot, kind: 'bug_screenshot', ownerId: null }, (tx, screenshotId) =>
    createBugReport(tx, report, screenshotId),
  );
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
