// Zod schemas of the availability module: weekly windows, time off and free slots.
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { instant, isoDate } from '../../schemas/common.ts';

/** `HH:MM`, 00:00..23:59. */
const startTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM (00:00..23:59)');
/** `HH:MM`, 00:01..24:00 (`24:00` ends a window at midnight). */
const endTimeSchema = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time HH:MM (up to 24:00)');

/** A calendar date `YYYY-MM-DD` that exists, in the years the clinic works with. */
export const dateSchema = isoDate();

const instantSchema = instant();

export const windowSchema = z
  .object({
    id: z.uuid(),
    doctorId: z.uuid(),
    weekday: z.number().int().min(0).max(6),
    startTime: z.string(),
    endTime: z.string(),
    slotMinutes: z.number().int(),
    validFrom: z.string().nullable(),
    validUntil: z.string().nullable(),
  })
  .meta({ id: 'AvailableTime' });
export type WindowOut = z.output<typeof windowSchema>;

const windowFields = {
  weekday: z.number().int().min(0).max(6).describe('0 = Sunday … 6 = Saturday'),
  startTime: startTimeSchema.describe('Local wall-clock start `HH:MM` in the doctor’s time zone'),
  endTime: endTimeSchema.describe('Local wall-clock end `HH:MM`; `24:00` runs to midnight'),
  slotMinutes: z.number().int().min(15).max(240),
  validFrom: dateSchema.nullable().optional(),
  validUntil: dateSchema.nullable().optional(),
};

export const createWindowBody = z
  .strictObject({
    doctorId: z.uuid().optional().describe('Admins only: whose window this is'),
    ...windowFields,
    slotMinutes: windowFields.slotMinutes.default(30),
  })
  .meta({ id: 'CreateAvailableTimeRequest' });
export type CreateWindowInput = z.output<typeof createWindowBody>;

export const replaceWindowBody = z
  .strictObject({ ...windowFields, slotMinutes: windowFields.slotMinutes.default(30) })
  .meta({ id: 'ReplaceAvailableTimeRequest' });

export const patchWindowBody = z
  .strictObject({
    weekday: windowFields.weekday.optional(),
    startTime: windowFields.startTime.optional(),
    endTime: windowFields.endTime.optional(),
    slotMinutes: windowFields.slotMinutes.optional(),
    validFrom: windowFields.validFrom,
    validUntil: windowFields.validUntil,
  })
  .meta({ id: 'UpdateAvailableTimeRequest' });
export type PatchWindowInput = z.output<typeof patchWindowBody>;

export const doctorQuery = z.object({
  doctorId: z.uuid().optional().describe('Admins only: whose entries to list'),
});

export const freeSlotsQuery = z.object({
  doctorId: z.uuid(),
  from: dateSchema.describe('First local date (doctor’s time zone), included'),
  to: dateSchema.describe('Last local date, included; at most 31 days after `from`'),
});
export type FreeSlotsQuery = z.output<typeof freeSlotsQuery>;

export const slotSchema = z.object({ startsAt: z.string(), endsAt: z.string() }).meta({ id: 'FreeSlot' });
export type SlotOut = z.output<typeof slotSchema>;

export const timeOffSchema = z
  .object({
    id: z.uuid(),
    doctorId: z.uuid(),
    startsAt: z.string(),
    endsAt: z.string(),
    reason: z.string(),
    conflictingAppointmentIds: z.array(z.uuid()),
  })
  .meta({ id: 'TimeOff' });
export type TimeOffOut = z.output<typeof timeOffSchema>;

export const createTimeOffBody = z
  .strictObject({
    doctorId: z.uuid().optional().describe('Admins only: whose time off this is'),
    startsAt: instantSchema,
    endsAt: instantSchema,
    reason: safeString({ max: 500, multiline: true }).default(''),
  })
  .meta({ id: 'CreateTimeOffRequest' });
export type CreateTimeOffInput = z.output<typeof createTimeOffBody>;
export type ReplaceWindowInput = z.output<typeof replaceWindowBody>;
