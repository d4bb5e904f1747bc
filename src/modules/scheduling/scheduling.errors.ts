// The errors the scheduling module answers with: slots, the status workflow, profiles and fields.
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../lib/errors.ts';
import type { AppointmentStatus } from './appointments.schemas.ts';

export const slotUnavailable = (detail: string) => new ConflictError({ code: 'slot_unavailable', detail });

/** A per-patient cap on requests or bookings (API.md, "Requests and limits per patient"). */
export const limitReached = (detail: string) => new UnprocessableError({ code: 'limit_reached', detail });

/** A patient's cancel or reschedule that the doctor's booking rules forbid. */
export const policyViolation = (detail: string) => new UnprocessableError({ code: 'policy_violation', detail });

export const invalidTransition = (from: AppointmentStatus, to: AppointmentStatus, why?: string) =>
  new UnprocessableError({ code: 'invalid_transition', detail: why ?? `An appointment cannot go from ${from} to ${to}.` });

/** 400 naming one field. */
export const fieldError = (path: string, message: string) => new ValidationError({ detail: message, errors: [{ path, message }] });

export const noPatientProfile = () => new NotFoundError({ detail: 'You have no patient profile.' });
export const noDoctorProfile = () => new NotFoundError({ detail: 'You have no doctor profile.' });
export const doctorNotFound = () => new NotFoundError({ detail: 'The doctor does not exist.' });
export const patientNotFound = () => new NotFoundError({ detail: 'The patient does not exist.' });
/** An appointment, window or time off that does not exist or that the caller may not see. */
export const notFound = () => new NotFoundError();

export const windowOverlaps = () => new ConflictError({ detail: 'The window overlaps another window of this doctor on the same weekday.' });

/** Accepting or declining a waitlist entry that holds no offer. */
export const noOffer = () => new ConflictError({ detail: 'This waiting list entry has no offer to answer.' });
