// Request and response schemas of the patients module (`patient/` routes).
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { emailSchema, isoDate } from '../../schemas/common.ts';
import { accessEntrySchema } from '../audit/index.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

export const GENDERS = ['female', 'male', 'other', 'unknown'] as const;
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const;
export type BloodGroupLabel = (typeof BLOOD_GROUPS)[number];

/** E.164: a plus and up to 15 digits. */
const phoneSchema = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567');

const emergencyContactSchema = z.object({
  name: z.string().optional(),
  phone: z.string().optional(),
  relationship: z.string().optional(),
});

export const patientSchema = z
  .object({
    id: z.uuid(),
    user: z.object({ id: z.uuid(), email: z.string(), firstName: z.string(), lastName: z.string() }),
    dateOfBirth: z.iso.date().nullable(),
    gender: z.enum(GENDERS),
    phone: z.string().nullable(),
    address: z.string().nullable(),
    bloodGroup: z.enum(BLOOD_GROUPS).nullable(),
    emergencyContact: emergencyContactSchema.nullable(),
    avatarUrl: z.string().nullable(),
    noShowCount: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Appointments (with any doctor) marked `no_show`; shown to doctors and admins, not to the patient'),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Patient' });
export type PatientView = z.infer<typeof patientSchema>;

export const patientPageSchema = pageSchema(patientSchema)
  .extend({
    countIsEstimate: z
      .literal(true)
      .optional()
      .describe('Present (true) only when more patients match than are counted: `count` is then a lower bound (at least 10,000).'),
  })
  .meta({ id: 'PatientPage' });

export const patientListQuery = pageQuerySchema.extend({ search: safeString({ max: 100 }).optional() });
export type PatientListQuery = z.output<typeof patientListQuery>;

export const accessLogPageSchema = pageSchema(accessEntrySchema).meta({ id: 'AccessLogPage' });

export const patientParams = z.object({
  patient: z.union([z.uuid(), emailSchema]).describe('The patient profile’s id, or the patient’s email'),
});

const dateOfBirth = isoDate({ from: '1900-01-01' });

const profileFields = {
  firstName: safeString({ max: 100 }),
  lastName: safeString({ max: 100 }),
  dateOfBirth: dateOfBirth.nullable(),
  gender: z.enum(GENDERS),
  phone: phoneSchema.nullable(),
  address: safeString({ max: 500, multiline: true }).nullable(),
  bloodGroup: z.enum(BLOOD_GROUPS).nullable(),
  emergencyContact: z
    .strictObject({
      name: safeString({ max: 200 }).optional(),
      phone: phoneSchema.optional(),
      relationship: safeString({ max: 100 }).optional(),
    })
    .nullable(),
};

export const putPatientBody = z.strictObject(profileFields).meta({ id: 'PutPatientProfileRequest' });
export const patchPatientBody = z.strictObject(profileFields).partial().meta({ id: 'PatchPatientProfileRequest' });
export type PatientProfileInput = z.output<typeof patchPatientBody>;
export type PutPatientInput = z.output<typeof putPatientBody>;
