// Request and response schemas of the doctors module (`doctor/` routes): doctors and qualifications (the catalogues' come from plugins/catalogue.ts).
import { z } from 'zod';
import { slugSchema } from '../../lib/slugs.ts';
import { safeString } from '../../lib/strings.ts';
import { emailSchema, isoDate } from '../../schemas/common.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

// --- Doctors ------------------------------------------------------------------------------------

const refSchema = z.object({ id: z.uuid(), name: z.string(), slug: z.string() });

export const doctorSchema = z
  .object({
    id: z.uuid(),
    user: z.object({ id: z.uuid(), email: z.string(), firstName: z.string(), lastName: z.string() }),
    bio: z.string(),
    fee: z.string().describe('Decimal string with two places, e.g. "50.00".'),
    yearsOfExperience: z.number().int(),
    specializations: z.array(refSchema),
    designations: z.array(refSchema),
    acceptingPatients: z.boolean(),
    autoConfirm: z.boolean(),
    timezone: z.string(),
    avatarUrl: z.string().nullable(),
    rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
  })
  .meta({ id: 'Doctor' });
export type DoctorView = z.infer<typeof doctorSchema>;

export const doctorPageSchema = pageSchema(doctorSchema).meta({ id: 'DoctorPage' });

export const DOCTOR_ORDERINGS = ['rating', '-rating', 'fee', '-fee', 'name'] as const;
export type DoctorOrdering = (typeof DOCTOR_ORDERINGS)[number];

export const doctorListQuery = pageQuerySchema.extend({
  search: safeString({ max: 100 }).optional(),
  specialization: slugSchema.optional(),
  designation: slugSchema.optional(),
  available: isoDate().optional(),
  ordering: z.enum(DOCTOR_ORDERINGS).optional(),
});
export type DoctorListQuery = z.output<typeof doctorListQuery>;

export const emailParams = z.object({ email: emailSchema });

const TIME_ZONES = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
const MAX_FEE = 99_999_999.99;

/** `"50"`, `"50.5"`, `"50.00"` or `50`: stored and answered as `"50.00"`. */
const feeInput = z
  .union([
    z.string().trim().regex(/^\d{1,8}(\.\d{1,2})?$/, 'must be a decimal with at most two places, e.g. "50.00"'),
    z.number().nonnegative().max(MAX_FEE),
  ])
  .transform((value) => Number(value).toFixed(2));

const idList = z.array(z.uuid()).max(20).refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id');

const profileFields = {
  bio: safeString({ max: 5000, multiline: true }),
  fee: feeInput,
  yearsOfExperience: z.number().int().min(0).max(80),
  specializationIds: idList,
  designationIds: idList,
  acceptingPatients: z.boolean(),
  autoConfirm: z.boolean(),
  timezone: z.string().max(64).refine((zone) => TIME_ZONES.has(zone), 'must be an IANA time zone such as Europe/Paris'),
};

export const putDoctorBody = z.strictObject(profileFields).meta({ id: 'PutDoctorProfileRequest' });
export const patchDoctorBody = z.strictObject(profileFields).partial().meta({ id: 'PatchDoctorProfileRequest' });
export type DoctorProfileInput = z.output<typeof patchDoctorBody>;

// --- Qualifications -----------------------------------------------------------------------------

export const qualificationSchema = z
  .object({
    id: z.uuid(),
    doctorId: z.uuid(),
    degree: z.string(),
    institution: z.string(),
    year: z.number().int(),
    documentUrl: z.string().nullable(),
    status: z.enum(['pending', 'approved', 'rejected']),
    note: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    reviewedAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .meta({ id: 'Qualification' });
export type QualificationView = z.infer<typeof qualificationSchema>;

export const applyQualificationBody = z
  .strictObject({
    degree: safeString({ min: 1, max: 200 }),
    institution: safeString({ min: 1, max: 200 }),
    year: z.coerce.number().int().min(1900).max(2100),
  })
  .meta({ id: 'ApplyQualificationRequest' });
export type ApplyQualificationInput = z.output<typeof applyQualificationBody>;

export const reviewBody = z
  .strictObject({ status: z.enum(['approved', 'rejected']), note: safeString({ max: 2000, multiline: true }).optional() })
  .meta({ id: 'ReviewRequest' });
export type ReviewInput = z.output<typeof reviewBody>;

export const doctorIdParams = z.object({ doctorId: z.uuid() });
export type PutDoctorInput = z.output<typeof putDoctorBody>;
