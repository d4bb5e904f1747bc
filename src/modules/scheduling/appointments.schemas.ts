// Zod schemas of the appointments module.
import { z } from 'zod';
import type { Actor } from '../../lib/context.ts';
import { safeString } from '../../lib/strings.ts';
import { emailSchema, instant, isoDate } from '../../schemas/common.ts';
import { pageQuerySchema } from '../../schemas/pagination.ts';

export const APPOINTMENT_STATUSES = ['requested', 'pending', 'confirmed', 'completed', 'cancelled', 'rejected', 'no_show', 'rescheduled'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
const statusSchema = z.enum(APPOINTMENT_STATUSES);
const typeSchema = z.enum(['in_person', 'online']);
const instantSchema = instant();
const reasonSchema = safeString({ max: 2000, multiline: true });

const changedBySchema = z
  .object({
    role: z.enum(['patient', 'doctor', 'admin', 'system']),
    id: z.uuid().nullable().describe('The patient or doctor profile id; the user id of an admin; null for the system'),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
  })
  .describe('Who made the change; `system` for automatic changes (sweeps)')
  .meta({ id: 'StatusChangedBy' });

export const appointmentSchema = z
  .object({
    id: z.uuid(),
    patient: z.object({ id: z.uuid(), firstName: z.string(), lastName: z.string(), email: z.string() }),
    doctor: z.object({ id: z.uuid(), firstName: z.string(), lastName: z.string() }),
    startsAt: z.string(),
    endsAt: z.string(),
    type: typeSchema,
    reason: z.string(),
    status: statusSchema,
    statusHistory: z.array(
      z.object({
        status: statusSchema,
        at: z.string(),
        by: changedBySchema,
        note: z.string().nullable(),
      }),
    ),
    rescheduledFromId: z.uuid().nullable().describe('The appointment this one replaced'),
    rescheduledToId: z.uuid().nullable().describe('The appointment that replaced this one (status `rescheduled`)'),
    lateCancel: z.boolean().describe('The doctor cancelled inside the patient’s cancellation notice'),
    createdAt: z.string(),
  })
  .meta({ id: 'Appointment' });
export type AppointmentOut = z.output<typeof appointmentSchema>;

/** `from`/`to`: an instant, or a date (UTC; `to` then includes that whole day). */
const boundSchema = z.union([instantSchema, isoDate()]);

export const listQuery = pageQuerySchema.extend({
  status: z
    .string()
    .max(100)
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(statusSchema).min(1))
    .optional()
    .describe('One status or several separated by commas'),
  from: boundSchema.optional().describe('Appointments starting at or after this instant or date'),
  to: boundSchema.optional().describe('Appointments starting before this instant, or on or before this date'),
});
export type ListQuery = z.output<typeof listQuery>;

export const patientBookingBody = z
  .strictObject({
    holdId: z.uuid().optional().describe('Book the slot of your live hold (then leave doctorId and startsAt out)'),
    doctorId: z.uuid().optional().describe('With startsAt, when booking without a hold'),
    startsAt: instantSchema.optional().describe('The start of a free slot, as offered by `GET doctor/available-times-patient/`'),
    type: typeSchema.default('in_person'),
    reason: reasonSchema.default(''),
  })
  .meta({ id: 'BookAppointmentRequest' });
export type PatientBookingInput = z.output<typeof patientBookingBody>;

export const doctorBookingBody = z
  .strictObject({
    patientId: z.uuid().optional(),
    patientEmail: emailSchema.optional(),
    startsAt: instantSchema,
    endsAt: instantSchema.optional().describe('Defaults to 30 minutes after startsAt'),
    type: typeSchema.default('in_person'),
    reason: reasonSchema.default(''),
  })
  .meta({ id: 'DoctorBookAppointmentRequest' });
export type DoctorBookingInput = z.output<typeof doctorBookingBody>;

export const requestAppointmentBody = z
  .strictObject({
    doctorId: z.uuid(),
    startsAt: instantSchema,
    endsAt: instantSchema,
    type: typeSchema.default('in_person'),
    reason: reasonSchema.default(''),
  })
  .meta({ id: 'RequestAppointmentRequest' });
export type RequestAppointmentInput = z.output<typeof requestAppointmentBody>;

export const patientRescheduleBody = z
  .strictObject({
    startsAt: instantSchema.optional().describe('The start of a free slot; or give holdId'),
    holdId: z.uuid().optional().describe('Move to the slot of your live hold (spent)'),
    reason: reasonSchema.optional(),
  })
  .meta({ id: 'PatientRescheduleRequest' });
export type PatientRescheduleInput = z.output<typeof patientRescheduleBody>;

export const doctorRescheduleBody = z
  .strictObject({
    startsAt: instantSchema,
    endsAt: instantSchema.optional().describe('Defaults to the appointment’s present length'),
    reason: reasonSchema.optional(),
  })
  .meta({ id: 'DoctorRescheduleRequest' });
export type DoctorRescheduleInput = z.output<typeof doctorRescheduleBody>;

export const cancelBody = z
  .strictObject({ reason: safeString({ max: 2000, multiline: true }).optional() })
  .meta({ id: 'CancelAppointmentRequest' });
export type CancelInput = z.output<typeof cancelBody>;

export const updateStatusBody = z
  .strictObject({ status: statusSchema, note: safeString({ max: 2000, multiline: true }).optional() })
  .meta({ id: 'UpdateAppointmentStatusRequest' });
export type UpdateStatusInput = z.output<typeof updateStatusBody>;

/** What the scheduling module announces (lib/events.ts), in the transaction of the change. */
export interface AppointmentEvent {
  /** The appointment as the API answers it, after the change. */
  appointment: AppointmentOut;
  /** Who made the change; null for the system (sweeps). */
  actor: Actor | null;
  /** The status before the change; null for a new appointment. */
  previousStatus: AppointmentStatus | null;
}

declare module '../../lib/events.ts' {
  interface EventPayloads {
    /** A new appointment (booked, asked for, or made by a doctor). */
    'appointment.created': AppointmentEvent;
    /** An appointment moved through the workflow (`previousStatus` → `appointment.status`). */
    'appointment.status_changed': AppointmentEvent;
    /** An appointment moved to a new time: `previous` is now `rescheduled`, `appointment` replaces it. */
    'appointment.rescheduled': AppointmentEvent & { previous: AppointmentOut };
  }
}
