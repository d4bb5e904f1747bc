// Request and response schemas of the operations module (`operations/` routes): doctor applications.
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

export const APPLICATION_STATUSES = ['pending', 'approved', 'rejected'] as const;

export const applicationSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    licenseNumber: z.string(),
    bio: z.string(),
    specializationIds: z.array(z.uuid()),
    designationIds: z.array(z.uuid()),
    yearsOfExperience: z.number().int(),
    documentUrl: z.string().nullable(),
    status: z.enum(APPLICATION_STATUSES),
    note: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    reviewedAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .meta({ id: 'DoctorApplication' });
export type ApplicationView = z.infer<typeof applicationSchema>;

export const applicationPageSchema = pageSchema(applicationSchema).meta({ id: 'DoctorApplicationPage' });

/** Multipart sends every field as text: lists as JSON arrays or comma-separated ids, numbers as digits. */
const idList = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return value;
      }
    }
    return text === '' ? [] : text.split(',').map((id) => id.trim());
  },
  z.array(z.uuid()).max(20).refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id'),
);

export const applyBody = z
  .strictObject({
    licenseNumber: safeString({ min: 1, max: 100 }),
    bio: safeString({ max: 5000, multiline: true }).default(''),
    specializationIds: idList.refine((ids) => ids.length > 0, 'must name at least one specialization'),
    designationIds: idList.optional(),
    yearsOfExperience: z.coerce.number().int().min(0).max(80),
  })
  .meta({ id: 'DoctorApplicationRequest' });
export type ApplyInput = z.output<typeof applyBody>;

export const applicationListQuery = pageQuerySchema.extend({ status: z.enum(APPLICATION_STATUSES).optional() });
export type ApplicationListQuery = z.output<typeof applicationListQuery>;

export const decisionBody = z
  .strictObject({ status: z.enum(['approved', 'rejected']), note: safeString({ max: 2000, multiline: true }).optional() })
  .meta({ id: 'DoctorApplicationDecisionRequest' });
export type DecisionInput = z.output<typeof decisionBody>;

/** What the operations module announces (lib/events.ts), in the transaction of the change. */
declare module '../../lib/events.ts' {
  interface EventPayloads {
    /** A user applied to become a doctor: the application as the API answers it. */
    'doctor_application.submitted': { application: ApplicationView };
    /** An admin approved or rejected an application. */
    'doctor_application.decided': { application: ApplicationView };
  }
}
