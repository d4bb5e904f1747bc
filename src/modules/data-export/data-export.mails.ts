// E-mails of the data export module: the owner hears that their export is ready.
import { noticeMail } from '../../lib/mail-templates.ts';

export const exportMails = {
  ready: (input: { downloadUrl: string; expiresAt: Date }) =>
    noticeMail({
      subject: 'Your data export is ready',
      lines: [
        'The export of the data the clinic holds about you is ready.',
        `Download it (signed in as yourself) from ${input.downloadUrl} until ${input.expiresAt.toISOString()}.`,
        'If you did not ask for it, change your password.',
      ],
    }),
};
