// E-mails of the public portal: every active admin hears of contact messages and bug reports.
// Everything the sender wrote goes into the body (escaped in HTML by renderMail); the subject is
// folded to one line by renderMail, and recipients never come from the request.
import { noticeMail } from '../../lib/mail-templates.ts';
import type { BugReportInput, ContactInput } from './portal.schemas.ts';

export const portalMails = {
  contact: (input: ContactInput) =>
    noticeMail({
      subject: `Contact form: ${input.subject}`,
      lines: [
        `${input.name} (${input.email}${input.phone ? `, ${input.phone}` : ''}) wrote through the contact form:`,
        `Subject: ${input.subject}`,
        input.message,
        'Answer them by e-mail; the message is also in the contact inbox of the clinic API.',
      ],
    }),
  bugReport: (input: BugReportInput & { screenshotUrl: string | null }) =>
    noticeMail({
      subject: `Bug report: ${input.title}`,
      lines: [
        `A bug was reported${input.email ? ` by ${input.email}` : ''}: ${input.title}`,
        input.description,
        ...(input.pageUrl ? [`Page: ${input.pageUrl}`] : []),
        ...(input.screenshotUrl ? [`Screenshot (admins only): ${input.screenshotUrl}`] : []),
        'The report is also in the bug report inbox of the clinic API.',
      ],
    }),
};
