// E-mails of the operations module: staff hear of new doctor applications, applicants of the decision.
import { noticeMail } from '../../lib/mail-templates.ts';

export const operationsMails = {
  newApplication: (input: { applicantEmail: string; licenseNumber: string }) =>
    noticeMail({
      subject: 'New doctor application',
      lines: [
        `${input.applicantEmail} applied to become a doctor (license ${input.licenseNumber}).`,
        'Review it in the applications list of the clinic API.',
      ],
    }),
  decision: (input: { approved: boolean; note: string | null }) =>
    noticeMail({
      subject: input.approved ? 'Your doctor application was approved' : 'Your doctor application was not approved',
      lines: [
        input.approved
          ? 'Your application to become a doctor was approved. Your doctor profile is ready: complete it and set your availability.'
          : 'Your application to become a doctor was not approved. You may apply again.',
        ...(input.note ? [`Note from the reviewer: ${input.note}`] : []),
      ],
    }),
};
