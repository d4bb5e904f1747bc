// Request and response schemas of the public portal (`public-portal/` routes): contact messages and bug reports.
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { emailSchema } from '../../schemas/common.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

const phoneSchema = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567');
const instant = z.iso.datetime({ offset: true });

export const receivedSchema = z.object({ id: z.uuid(), detail: z.string() }).meta({ id: 'Received' });
export type Received = z.infer<typeof receivedSchema>;

export const inboxQuery = pageQuerySchema;

// --- Contact messages ---------------------------------------------------------------------------

export const contactBody = z
  .strictObject({
    name: safeString({ min: 1, max: 200 }),
    email: emailSchema,
    phone: phoneSchema.optional(),
    subject: safeString({ min: 1, max: 200 }),
    message: safeString({ min: 1, max: 5000, multiline: true }),
  })
  .meta({ id: 'ContactRequest' });
export type ContactInput = z.output<typeof contactBody>;

export const contactMessageSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    subject: z.string(),
    message: z.string(),
    createdAt: instant,
  })
  .meta({ id: 'ContactMessage' });
export type ContactMessageView = z.infer<typeof contactMessageSchema>;
export const contactPageSchema = pageSchema(contactMessageSchema).meta({ id: 'ContactMessagePage' });

// --- Bug reports --------------------------------------------------------------------------------

/** An absolute http(s) URL: single line, bounded. */
const pageUrl = safeString({ min: 1, max: 2000 }).pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));

export const bugReportBody = z
  .strictObject({
    email: emailSchema.optional(),
    title: safeString({ min: 1, max: 200 }),
    description: safeString({ min: 1, max: 5000, multiline: true }),
    pageUrl: pageUrl.optional(),
  })
  .meta({ id: 'BugReportRequest' });
export type BugReportInput = z.output<typeof bugReportBody>;

export const bugReportSchema = z
  .object({
    id: z.uuid(),
    email: z.string().nullable(),
    title: z.string(),
    description: z.string(),
    pageUrl: z.string().nullable(),
    screenshotUrl: z.string().nullable().describe('Visible to admins only.'),
    createdAt: instant,
  })
  .meta({ id: 'BugReport' });
export type BugReportView = z.infer<typeof bugReportSchema>;
export const bugReportPageSchema = pageSchema(bugReportSchema).meta({ id: 'BugReportPage' });
