// Appointment services: patients book offered slots, ask for other times and cancel; doctors
// book for patients and move appointments through the status workflow. The database's
// exclusion constraint is what keeps two active appointments of one doctor from overlapping.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { pageWindow, type Page } from '../../schemas/pagination.ts';
import { checkPatientLimits } from './appointments.limits.ts';
import { notifyParty, scheduleReminder } from './appointments.mails.ts';
import * as queries from './appointments.queries.ts';
import type {
  AppointmentOut,
  AppointmentStatus,
  CancelInput,
  DoctorBookingInput,
  ListQuery,
  PatientBookingInput,
  RequestAppointmentInput,
  UpdateStatusInput,
} from './appointments.schemas.ts';
import { freeSlotAt } from './availability.service.ts';
import type { TimeSpan } from './availability.slots.ts';
import { doctorIdOf, freeSlotsChanged, lockCalendar, patientIdOf } from './calendar.ts';
import { claimHeldTime, liveHold } from './holds.service.ts';
import { checkNoShowCorrection, needsConfirmation } from './noshows.service.ts';
import { rulesOf } from './rules.service.ts';
import { announceFreedTime } from './waitlist.freed.ts';
import {
  doctorNotFound,
  fieldError,
  invalidTransition,
  notFound,
  patientNotFound,
  policyViolation,
  slotUnavailable,
} from './scheduling.errors.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Length of a doctor's booking when no endsAt is given. */
export const DEFAULT_BOOKING_MINUTES = 30;
/** The longest appointment a doctor may book or a patient may ask for. */
const MAX_APPOINTMENT_MINUTES = 12 * 60;

const ACTIVE: readonly AppointmentStatus[] = ['requested', 'pending', 'confirmed'];
/** The statuses that take their time from the calendar (`requested` asks for it only). */
const HOLDS_TIME: readonly AppointmentStatus[] = ['pending', 'confirmed'];

/** The moves a doctor may make (API.md, status workflow). */
const DOCTOR_TRANSITIONS: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  requested: ['pending', 'rejected'],
  pending: ['confirmed', 'rejected', 'cancelled'],
  confirmed: ['completed', 'cancelled', 'no_show'],
  completed: [],
  cancelled: [],
  rejected: [],
  // A correction, within 24 hours of the no-show (noshows.service.ts).
  no_show: ['completed'],
  rescheduled: [],
};

export interface NewAppointment {
  patientId: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  type: 'in_person' | 'online';
  reason: string;
  status: AppointmentStatus;
  /** The patient's hold this booking spends. */
  holdId?: string | undefined;
}

/**
 * Inserts the appointment with its first status row, mails the other party and schedules the
 * reminder, in one transaction. Bookings of one doctor queue on an advisory lock, so concurrent
 * inserts wait for each other instead of deadlocking; the exclusion constraint then refuses
 * every overlap (23P01 → 409 slot_unavailable). A patient's own bookings and requests then meet
 * the per-patient caps.
 */
async function insertAppointment(ctx: ServiceContext, actor: Actor, data: NewAppointment, notify: 'patient' | 'doctor'): Promise<AppointmentOut> {
  try {
    return await inTransaction(ctx, (tx) => addAppointment(tx, actor, data, notify));
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('The doctor already has an appointment at that time.');
    throw error;
  }
}

/** insertAppointment's work inside the caller's transaction (a waitlist offer accepted books this way too). */
export async function addAppointment(tx: TxContext, actor: Actor, data: NewAppointment, notify: 'patient' | 'doctor'): Promise<AppointmentOut> {
  await lockCalendar(tx, data.doctorId);
  // A patient's booking checked the doctor before the lock: a doctor who closed their profile
  // meanwhile (which cancels under this lock) must not get a new appointment after it.
  if (notify === 'doctor' && !(await tx.db.doctor.count({ where: { id: data.doctorId, deletedAt: null } }))) {
    throw doctorNotFound();
  }
  const now = tx.clock.now();
  // The appointment keeps the doctor's buffers of this moment; the exclusion constraint compares padded spans.
  const rules = await rulesOf(tx.db, data.doctorId);
  const { holdId, ...fields } = data;
  // A patient with the doctor's confirmAfterNoShows no-shows waits for the doctor, even when the doctor auto-confirms.
  const status = notify === 'doctor' && data.status === 'confirmed' && (await needsConfirmation(tx.db, rules, data)) ? 'pending' : data.status;
  const buffers = { bufferBeforeMinutes: rules.bufferBeforeMinutes, bufferAfterMinutes: rules.bufferAfterMinutes };
  if (status !== 'requested') {
    await claimHeldTime(tx, { doctorId: data.doctorId, patientId: data.patientId, holdId, span: { startsAt: data.startsAt, endsAt: data.endsAt, ...buffers } });
  }
  const created = await tx.db.appointment.create({
    data: {
      ...fields,
      status,
      ...buffers,
      createdAt: now,
      statusHistory: { create: { status, changedById: actor.userId, at: now } },
    },
    select: { id: true, startsAt: true },
  });
  await freeSlotsChanged(tx, data.doctorId);
  if (notify === 'doctor') {
    await checkPatientLimits(tx, { patientId: data.patientId, doctorId: data.doctorId, kind: status === 'requested' ? 'requested' : 'upcoming' });
  }
  await notifyParty(tx, { appointmentId: created.id, recipient: notify });
  if (status === 'confirmed') await scheduleReminder(tx, created);
  const appointment = (await queries.findAppointment(tx.db, created.id))!;
  await tx.events.publish(tx, 'appointment.created', { appointment, actor, previousStatus: null });
  return appointment;
}

/**
 * A patient books a free slot, as offered by the free-slots route, or the slot of their live
 * hold (`holdId`): pending, or confirmed when the doctor auto-confirms (unless the patient's no-shows
 * with the doctor reach its `confirmAfterNoShows`).
 */
export async function bookAsPatient(ctx: ServiceContext, input: PatientBookingInput, actor: Actor): Promise<AppointmentOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const target = await bookingTarget(ctx, input, patientId);
  const doctor = await ctx.db.doctor.findFirst({ where: { id: target.doctorId, deletedAt: null }, select: { id: true, timezone: true, autoConfirm: true } });
  if (!doctor) throw doctorNotFound();
  let slot: TimeSpan | undefined = target.hold;
  if (!slot) {
    const startsAt = new Date(target.startsAt!);
    if (startsAt.getTime() <= ctx.clock.now().getTime()) throw slotUnavailable('The slot has already started.');
    slot = await freeSlotAt(ctx, doctor, startsAt);
  }
  if (!slot) throw slotUnavailable('That time is not a free slot of the doctor.');
  return insertAppointment(
    ctx,
    actor,
    {
      patientId,
      doctorId: doctor.id,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      type: input.type,
      reason: input.reason,
      status: doctor.autoConfirm ? 'confirmed' : 'pending',
      holdId: input.holdId,
    },
    'doctor',
  );
}

/** What a patient's booking names: a hold of theirs, or a doctor and a start (exactly one of the two). */
async function bookingTarget(
  ctx: ServiceContext,
  input: PatientBookingInput,
  patientId: string,
): Promise<{ doctorId: string; startsAt?: string; hold?: TimeSpan }> {
  if (input.holdId !== undefined) {
    if (input.doctorId !== undefined || input.startsAt !== undefined) throw fieldError('holdId', 'give either holdId or doctorId and startsAt');
    const hold = await liveHold(ctx, { id: input.holdId, patientId });
    return { doctorId: hold.doctorId, hold };
  }
  if (input.doctorId === undefined) throw fieldError('doctorId', 'Required');
  if (input.startsAt === undefined) throw fieldError('startsAt', 'Required');
  return { doctorId: input.doctorId, startsAt: input.startsAt };
}

export function checkSpan(startsAt: Date, endsAt: Date): void {
  if (endsAt.getTime() <= startsAt.getTime()) throw fieldError('endsAt', 'must be after startsAt');
  if (endsAt.getTime() - startsAt.getTime() > MAX_APPOINTMENT_MINUTES * MINUTE_MS) {
    throw fieldError('endsAt', `an appointment lasts at most ${MAX_APPOINTMENT_MINUTES / 60} hours`);
  }
}

/** A patient asks for a time that is not offered: status `requested`, which holds no time until the doctor moves it to `pending`. */
export async function requestAppointment(ctx: ServiceContext, input: RequestAppointmentInput, actor: Actor): Promise<AppointmentOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const doctor = await ctx.db.doctor.findFirst({ where: { id: input.doctorId, deletedAt: null }, select: { id: true, acceptingPatients: true } });
  if (!doctor) throw doctorNotFound();
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  checkSpan(startsAt, endsAt);
  if (startsAt.getTime() <= ctx.clock.now().getTime()) throw slotUnavailable('The requested time has already started.');
  if (!doctor.acceptingPatients) throw slotUnavailable('The doctor is not accepting patients.');
  return insertAppointment(
    ctx,
    actor,
    { patientId, doctorId: doctor.id, startsAt, endsAt, type: input.type, reason: input.reason, status: 'requested' },
    'doctor',
  );
}

/** A doctor books for a patient at any time that overlaps no active appointment, the past included: confirmed. */
export async function bookAsDoctor(ctx: ServiceContext, input: DoctorBookingInput, actor: Actor): Promise<AppointmentOut> {
  const doctorId = await doctorIdOf(ctx.db, actor);
  if ((input.patientId === undefined) === (input.patientEmail === undefined)) {
    throw fieldError('patientId', 'give exactly one of patientId and patientEmail');
  }
  const patient = await ctx.db.patient.findFirst({
    where: {
      ...(input.patientId !== undefined ? { id: input.patientId } : {}),
      user: { isActive: true, deletedAt: null, ...(input.patientEmail !== undefined ? { email: input.patientEmail } : {}) },
    },
    select: { id: true },
  });
  if (!patient) throw patientNotFound();
  const startsAt = new Date(input.startsAt);
  const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(startsAt.getTime() + DEFAULT_BOOKING_MINUTES * MINUTE_MS);
  checkSpan(startsAt, endsAt);
  return insertAppointment(
    ctx,
    actor,
    { patientId: patient.id, doctorId, startsAt, endsAt, type: input.type, reason: input.reason, status: 'confirmed' },
    'patient',
  );
}

/** Locks the appointment row if `owner` may see it; 404 otherwise. */
export async function lockOwned(tx: TxContext, id: string, owner: queries.Owner): Promise<queries.LockedAppointment> {
  const row = await queries.lockAppointment(tx.db, id, owner);
  if (!row) throw notFound();
  return row;
}

/** Records the new status (a history row by `actor`), notifies the other party and, when confirmed, schedules the reminder. */
async function changeStatus(
  tx: TxContext,
  appointment: queries.LockedAppointment,
  change: { status: AppointmentStatus; note: string | null; notify: 'patient' | 'doctor' },
  actor: Actor,
): Promise<void> {
  const now = tx.clock.now();
  const { status, note } = change;
  await tx.db.appointment.update({ where: { id: appointment.id }, data: { status, updatedAt: now }, select: { id: true } });
  await tx.db.appointmentStatusChange.create({ data: { appointmentId: appointment.id, status, changedById: actor.userId, note, at: now } });
  await freeSlotsChanged(tx, appointment.doctorId);
  await notifyParty(tx, { appointmentId: appointment.id, recipient: change.notify, note });
  if (status === 'confirmed') await scheduleReminder(tx, appointment);
  if (HOLDS_TIME.includes(appointment.status) && !HOLDS_TIME.includes(status)) {
    await announceFreedTime(tx, appointment.doctorId, { startsAt: appointment.startsAt, endsAt: appointment.endsAt });
  }
  const changed = (await queries.findAppointment(tx.db, appointment.id))!;
  await tx.events.publish(tx, 'appointment.status_changed', { appointment: changed, actor, previousStatus: appointment.status });
}

/**
 * A doctor moves one of their appointments through the workflow. The calendar lock comes first
 * (as in bookings), because `requested → pending` makes the appointment take its time: if that
 * time is no longer free the exclusion constraint refuses it (409 slot_unavailable).
 */
export async function updateStatus(ctx: ServiceContext, input: UpdateStatusInput & { id: string }, actor: Actor): Promise<AppointmentOut> {
  const doctorId = await doctorIdOf(ctx.db, actor);
  try {
    return await inTransaction(ctx, async (tx) => {
      await lockCalendar(tx, doctorId);
      const appointment = await lockOwned(tx, input.id, { doctorUserId: actor.userId });
      if (!DOCTOR_TRANSITIONS[appointment.status].includes(input.status)) throw invalidTransition(appointment.status, input.status);
      if ((input.status === 'completed' || input.status === 'no_show') && tx.clock.now().getTime() < appointment.startsAt.getTime()) {
        throw invalidTransition(appointment.status, input.status, `An appointment can be marked ${input.status} only once it has started.`);
      }
      if (appointment.status === 'no_show') await checkNoShowCorrection(tx, appointment.id);
      if (input.status === 'cancelled' && (await insideCancelNotice(tx, doctorId, appointment.startsAt))) {
        await tx.db.appointment.update({ where: { id: appointment.id }, data: { lateCancel: true }, select: { id: true } });
      }
      await changeStatus(tx, appointment, { status: input.status, note: input.note ?? null, notify: 'patient' }, actor);
      return (await queries.findAppointment(tx.db, input.id))!;
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('The requested time is no longer free.');
    throw error;
  }
}

/** Whether `startsAt` is less than the doctor's `cancelNoticeMinutes` away. */
export async function insideCancelNotice(tx: TxContext, doctorId: string, startsAt: Date): Promise<boolean> {
  const { cancelNoticeMinutes } = await rulesOf(tx.db, doctorId);
  return startsAt.getTime() - tx.clock.now().getTime() < cancelNoticeMinutes * MINUTE_MS;
}

/** A patient cancels one of their active appointments, no later than the doctor's cancellation notice allows. */
export async function cancelAsPatient(ctx: ServiceContext, input: CancelInput & { id: string }, actor: Actor): Promise<AppointmentOut> {
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockOwned(tx, input.id, { patientUserId: actor.userId });
    if (!ACTIVE.includes(appointment.status)) throw invalidTransition(appointment.status, 'cancelled');
    if (appointment.status !== 'requested' && (await insideCancelNotice(tx, appointment.doctorId, appointment.startsAt))) {
      throw policyViolation('It is too late to cancel this appointment; please contact the doctor.');
    }
    await changeStatus(tx, appointment, { status: 'cancelled', note: input.reason ?? null, notify: 'doctor' }, actor);
    return (await queries.findAppointment(tx.db, input.id))!;
  });
}

/**
 * Cancels every active appointment of a doctor that has not started yet, inside the caller's
 * transaction: a status row by `actor` with `note` each, and a mail to each patient with the
 * cancellation invitation (METHOD:CANCEL). The doctor's booking lock is taken first, so a booking
 * in flight either commits before the sweep (and is cancelled) or waits for it. Started and past
 * appointments stay as they are. Answers how many were cancelled.
 */
export async function cancelUpcomingOfDoctor(tx: TxContext, input: { doctorId: string; note: string | null }, actor: Actor): Promise<number> {
  await lockCalendar(tx, input.doctorId);
  const upcoming = await queries.lockUpcomingOfDoctor(tx.db, input.doctorId, ACTIVE, tx.clock.now());
  for (const appointment of upcoming) await changeStatus(tx, appointment, { status: 'cancelled', note: input.note, notify: 'patient' }, actor);
  return upcoming.length;
}

export async function getForPatient(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<AppointmentOut> {
  const appointment = await queries.findAppointment(ctx.db, input.id, { patientUserId: actor.userId });
  if (!appointment) throw notFound();
  return appointment;
}

/** `from` as an instant; a date means its UTC midnight. `to` is exclusive; a date includes that whole day. */
function bounds(query: ListQuery): { from: Date | undefined; to: Date | undefined } {
  const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);
  const from = query.from === undefined ? undefined : new Date(isDate(query.from) ? `${query.from}T00:00:00Z` : query.from);
  const to =
    query.to === undefined
      ? undefined
      : isDate(query.to)
        ? new Date(new Date(`${query.to}T00:00:00Z`).getTime() + DAY_MS)
        : new Date(query.to);
  return { from, to };
}

type AppointmentPage = Omit<Page<AppointmentOut>, 'next' | 'previous'>;

/** The caller's appointments as a patient, by start time. */
export function listForPatient(ctx: ServiceContext, query: ListQuery, actor: Actor): Promise<AppointmentPage> {
  return queries.listAppointments(ctx.db, { patientUserId: actor.userId }, { statuses: query.status, ...bounds(query), ...pageWindow(query) });
}

/** The caller's appointments as a doctor, by start time. */
export function listForDoctor(ctx: ServiceContext, query: ListQuery, actor: Actor): Promise<AppointmentPage> {
  return queries.listAppointments(ctx.db, { doctorUserId: actor.userId }, { statuses: query.status, ...bounds(query), ...pageWindow(query) });
}

/** Whose appointments the actor may read: a patient's or a doctor's own; an admin's, everyone's (undefined). */
function readScope(actor: Actor): queries.Owner | undefined {
  if (actor.role === 'patient') return { patientUserId: actor.userId };
  if (actor.role === 'doctor') return { doctorUserId: actor.userId };
  return undefined;
}

/** One appointment, to its patient, its doctor or an admin; 404 to anyone else (the FHIR Appointment read). */
export async function getAppointment(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<AppointmentOut> {
  const appointment = await queries.findAppointment(ctx.db, input.id, readScope(actor));
  if (!appointment) throw notFound();
  return appointment;
}

/**
 * The appointments the actor may read (as in getAppointment), optionally of one patient and/or
 * doctor (profile ids), starting in [from, to), by start time (the FHIR Appointment search).
 */
export function searchAppointments(
  ctx: ServiceContext,
  query: { patientId?: string | undefined; doctorId?: string | undefined; from?: Date | undefined; to?: Date | undefined; skip: number; take: number },
  actor: Actor,
): Promise<AppointmentPage> {
  return queries.listAppointments(ctx.db, readScope(actor), { statuses: undefined, ...query, from: query.from, to: query.to });
}
