// Search parameters (strict: an unknown one is 400) and the documented shapes of the FHIR R4 answers.
import { z } from 'zod';
import { slugSchema } from '../../lib/slugs.ts';
import { safeString } from '../../lib/strings.ts';
import { emailSchema, instant, isoDate } from '../../schemas/common.ts';

export const FHIR_CONTENT_TYPE = 'application/fhir+json';

/** A FHIR id (R4 `id` datatype); ours are the REST ids, UUIDs. */
export const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be a FHIR id').describe('The REST id of the resource') });

/** The result parameters every search takes. */
const paging = {
  _count: z.coerce.number().int().min(1).max(100).default(20).describe('Entries per page, 1..100 (default 20)'),
  _page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe('The page, from 1; the `next` link sets it'),
};
export type Paging = { _count: number; _page: number };

/** A reference search value: `Type/{id}`, or the bare id. */
const reference = (type: string) =>
  z
    .string()
    .trim()
    .max(100)
    .regex(new RegExp(`^(${type}/)?[A-Za-z0-9.-]{1,64}$`), `must be ${type}/{id} or an id`)
    .transform((value) => value.replace(`${type}/`, ''))
    .describe(`\`${type}/{id}\` or the id`);

const DATE_VALUE = z.union([instant(), isoDate()]);

/** One date search value: `ge` or `lt` and a date or an instant with an offset, or a date alone (that whole day). */
const dateValue = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const [, prefix, rest] = /^(ge|lt)?(.*)$/.exec(value)!;
    const parsed = DATE_VALUE.safeParse(rest);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'must be ge or lt followed by a date YYYY-MM-DD or an instant with an offset, or a date alone' });
      return z.NEVER;
    }
    return { prefix: (prefix ?? 'eq') as 'ge' | 'lt' | 'eq', value: parsed.data };
  });
export type DateValue = z.output<typeof dateValue>;

/** A date parameter, once or twice (`start=ge…&start=lt…`). */
const dateParam = (description: string) =>
  z.preprocess((value: unknown) => (Array.isArray(value) ? (value as unknown[]) : [value]), z.array(dateValue).min(1).max(2)).describe(description);

const name = safeString({ min: 1, max: 100 });

export const practitionerSearch = z.strictObject({
  name: name.optional().describe('Case-insensitive substring of the first name, last name, email or a specialization’s name (as `doctor/list/?search=`)'),
  ...paging,
});
export const practitionerRoleSearch = z.strictObject({
  specialty: z
    .string()
    .trim()
    .max(200)
    .transform((value) => value.slice(value.lastIndexOf('|') + 1))
    .pipe(slugSchema)
    .optional()
    .describe('A specialization slug, or `system|slug`'),
  ...paging,
});
export const patientSearch = z.strictObject({ name: name.optional().describe('Case-insensitive substring of the first name, last name or email'), email: emailSchema.optional().describe('The exact email, in any case'), ...paging });
export const scheduleSearch = z.strictObject({ actor: reference('Practitioner').optional(), ...paging });
export const slotSearch = z.strictObject({
  schedule: reference('Schedule'),
  start: dateParam(
    '`ge` and `lt` bounds of the slot starts, at most 31 days apart; a date is midnight in the doctor’s time zone, e.g. `start=ge2026-12-01&start=lt2026-12-08`',
  ),
  status: z.enum(['free', 'busy', 'busy-unavailable', 'busy-tentative', 'entered-in-error']).optional().describe('Only `free` slots are listed'),
  ...paging,
});
export const appointmentSearch = z.strictObject({
  patient: reference('Patient').optional(),
  practitioner: reference('Practitioner').optional(),
  date: dateParam('`ge`/`lt` bounds of the start (a date is UTC midnight), or a date alone (that UTC day)').optional(),
  ...paging,
});
export type PractitionerSearch = z.output<typeof practitionerSearch>;
export type PractitionerRoleSearch = z.output<typeof practitionerRoleSearch>;
export type PatientSearch = z.output<typeof patientSearch>;
export type ScheduleSearch = z.output<typeof scheduleSearch>;
export type SlotSearch = z.output<typeof slotSearch>;
export type AppointmentSearch = z.output<typeof appointmentSearch>;

/**
 * A FHIR resource as documented here: its type, id and the fields listed; the answer carries the
 * rest of the R4 resource (the tests validate every answer against the official R4 JSON schema).
 */
const resource = (type: string, description: string, fields: Record<string, z.ZodType> = {}) =>
  z
    .looseObject({ resourceType: z.literal(type), id: z.string().optional(), ...fields })
    .describe(`${description} See https://hl7.org/fhir/R4/${type.toLowerCase()}.html`)
    .meta({ id: `Fhir${type}` });

export const capabilityStatementSchema = resource('CapabilityStatement', 'What this server supports: the resources, interactions and search parameters.');
export const practitionerSchema = resource('Practitioner', 'A doctor (id: the doctor profile id).');
export const practitionerRoleSchema = resource('PractitionerRole', 'A doctor’s role: specialties (codes: our slugs) and designations.');
export const patientResourceSchema = resource('Patient', 'A patient (id: the patient profile id).');
export const scheduleSchema = resource('Schedule', 'A doctor’s calendar, one per doctor (id: the doctor profile id).');
export const appointmentResourceSchema = resource('Appointment', 'An appointment with its two participants.', {
  status: z.enum(['proposed', 'pending', 'booked', 'fulfilled', 'noshow', 'cancelled']),
});
export const bundleSchema = resource('Bundle', 'A `searchset`: `total`, `link` (`self`, and `next` while more pages follow) and the entries.', {
  type: z.literal('searchset'),
  total: z.number().int(),
  link: z.array(z.object({ relation: z.string(), url: z.string() })),
});
export const operationOutcomeSchema = resource(
  'OperationOutcome',
  'An error: `issue[].code` is `invalid` (400), `security` (401), `forbidden` (403), `not-found` (404), `throttled` (429), …; `issue[].details.coding[0].code` is the REST problem code.',
);
