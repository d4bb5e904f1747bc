// E-mails of the reports module: the requester hears that their CSV export is ready.
import { noticeMail } from '../../lib/mail-templates.ts';
import type { ExportKind } from './reports.schemas.ts';

export const reportMails = {
  exportReady: (input: { kind: ExportKind; rowCount: number; downloadUrl: string; expiresAt: Date }) =>
    noticeMail({
      subject: `Your ${input.kind} export is ready`,
      lines: [
        `The CSV export of ${input.kind} you asked for is ready (${input.rowCount} rows).`,
        `Download it (signed in as yourself) from ${input.downloadUrl} until ${input.expiresAt.toISOString()}.`,
      ],
    }),
};
