// Zod schemas of a doctor's booking rules (API.md, "Booking rules").
import { z } from 'zod';

const fields = {
  bufferBeforeMinutes: z.number().int().min(0).max(240).describe('Free time kept before each appointment'),
  bufferAfterMinutes: z.number().int().min(0).max(240).describe('Free time kept after each appointment'),
  minNoticeMinutes: z.number().int().min(0).max(43200).describe('Patients cannot hold or book a slot starting sooner than this'),
  horizonDays: z.number().int().min(1).max(730).nullable().describe('Patients cannot hold or book a slot starting later than this many days ahead; null: no limit'),
  cancelNoticeMinutes: z.number().int().min(0).max(10080).describe('Patients cannot cancel or reschedule later than this before the start'),
  maxReschedules: z.number().int().min(0).max(20).describe('How many times one appointment may be rescheduled, counted along its chain'),
  autoNoShow: z.boolean().describe('Mark confirmed appointments no_show once the grace period after their start has passed'),
  noShowGraceMinutes: z.number().int().min(5).max(240),
  confirmAfterNoShows: z.number().int().min(1).max(20).nullable().describe('Bookings of a patient with this many no-shows with the doctor start pending'),
};

export type BookingRules = { [K in keyof typeof fields]: z.output<(typeof fields)[K]> };

/** The rules of a doctor who never set any: v1 behaviour, nothing extra enforced. */
export const DEFAULT_RULES: BookingRules = {
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minNoticeMinutes: 0,
  horizonDays: null,
  cancelNoticeMinutes: 0,
  maxReschedules: 3,
  autoNoShow: false,
  noShowGraceMinutes: 15,
  confirmAfterNoShows: null,
};

export const bookingRulesSchema = z.object({ doctorId: z.uuid(), ...fields }).meta({ id: 'BookingRules' });
export type BookingRulesOut = z.output<typeof bookingRulesSchema>;

/** PUT replaces the whole object: a field left out takes its default. */
export const replaceRulesBody = z
  .strictObject({
    bufferBeforeMinutes: fields.bufferBeforeMinutes.default(DEFAULT_RULES.bufferBeforeMinutes),
    bufferAfterMinutes: fields.bufferAfterMinutes.default(DEFAULT_RULES.bufferAfterMinutes),
    minNoticeMinutes: fields.minNoticeMinutes.default(DEFAULT_RULES.minNoticeMinutes),
    horizonDays: fields.horizonDays.default(DEFAULT_RULES.horizonDays),
    cancelNoticeMinutes: fields.cancelNoticeMinutes.default(DEFAULT_RULES.cancelNoticeMinutes),
    maxReschedules: fields.maxReschedules.default(DEFAULT_RULES.maxReschedules),
    autoNoShow: fields.autoNoShow.default(DEFAULT_RULES.autoNoShow),
    noShowGraceMinutes: fields.noShowGraceMinutes.default(DEFAULT_RULES.noShowGraceMinutes),
    confirmAfterNoShows: fields.confirmAfterNoShows.default(DEFAULT_RULES.confirmAfterNoShows),
  })
  .meta({ id: 'ReplaceBookingRulesRequest' });
export type ReplaceRulesInput = z.output<typeof replaceRulesBody>;

export const rulesQuery = z.object({ doctorId: z.uuid().optional().describe('Admins only: whose rules') });
