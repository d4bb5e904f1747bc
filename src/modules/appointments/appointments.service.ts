// Appointment services: patients book offered slots, ask for other times and cancel; doctors
// book for patients and move appointments through the status workflow. The database's
// exclusion constraint is what keeps two active appointments of one doctor from overlapping.
import { DateTime } from 'luxon';
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../lib/errors.ts';
import { pageWindow, type Page } from '../../schemas/pagination.ts';
import { freeSlotsOf } from '../availability/availability.service.ts';
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

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Length of a doctor's booking when no endsAt is given. */
export const DEFAULT_BOOKING_MINUTES = 30;
/** The longest appointment a doctor may book or a patient may ask for. */
const MAX_APPOINTMENT_MINUTES = 12 * 60;

const ACTIVE: readonly AppointmentStatus[] = ['requested', 'pending', 'confirmed'];

/** The moves a doctor may make (API.md, status workflow). */
const DOCTOR_TRANSITIONS: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  requested: ['pending', 'rejected'],
  pending: ['confirmed', 'rejected', 'cancelled'],
  confirmed: ['completed', 'cancelled', 'no_show'],
  completed: [],
  cancelled: [],
  rejected: [],
  no_show: [],
};

const slotUnavailable = (detail: string) => new ConflictError({ code: 'slot_unavailable', detail });
const fieldError = (path: string, message: string) => new ValidationError({ detail: message, errors: [{ path, message }] });

async function patientIdOf(db: DbClient, actor: Actor): Promise<string> {
  const patient = await db.patient.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!patient) throw new NotFoundError({ detail: 'You have no patient profile.' });
  return patient.id;
}

async function doctorIdOf(db: DbClient, actor: Actor): Promise<string> {
  const doctor = await db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  if (!doctor) throw new NotFoundError({ detail: 'You have no doctor profile.' });
  return doctor.id;
}

interface NewAppointment {
  patientId: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  type: 'in_person' | 'online';
  reason: string;
  status: AppointmentStatus;
}

/**
 * Inserts the appointment with its first status row, mails the other party and schedules the
 * reminder, in one transaction. Bookings of one doctor queue on an advisory lock, so concurrent
 * inserts wait for each other instead of deadlocking; the exclusion constraint then refuses
 * every overlap (23P01 → 409 slot_unavailable).
 */
async function insertAppointment(ctx: ServiceContext, actor: Actor, data: NewAppointment, notify: 'patient' | 'doctor'): Promise<AppointmentOut> {
  const now = ctx.clock.now();
  let id: string;
  try {
    id = await ctx.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('appointments:' || ${data.doctorId}))`;
      // A patient's booking checked the doctor before the lock: a doctor who closed their profile
      // meanwhile (which cancels under this lock) must not get a new appointment after it.
      if (notify === 'doctor' && !(await tx.doctor.count({ where: { id: data.doctorId, deletedAt: null } }))) {
        throw new NotFoundError({ detail: 'The doctor does not exist.' });
      }
      const created = await tx.appointment.create({
        data: {
          ...data,
          createdAt: now,
          statusHistory: { create: { status: data.status, changedById: actor.userId, at: now } },
        },
        select: { id: true, startsAt: true },
      });
      await notifyParty(ctx, tx, created.id, notify);
      if (data.status === 'confirmed') await scheduleReminder(ctx, tx, created);
      return created.id;
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('The doctor already has an appointment at that time.');
    throw error;
  }
  return (await queries.findAppointment(ctx.db, id))!;
}

/** A patient books a free slot, as offered by the free-slots route: pending, or confirmed when the doctor auto-confirms. */
export async function bookAsPatient(ctx: ServiceContext, input: PatientBookingInput, actor: Actor): Promise<AppointmentOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const doctor = await ctx.db.doctor.findFirst({
    where: { id: input.doctorId, deletedAt: null },
    select: { id: true, timezone: true, autoConfirm: true },
  });
  if (!doctor) throw new NotFoundError({ detail: 'The doctor does not exist.' });
  const now = ctx.clock.now();
  const startsAt = new Date(input.startsAt);
  if (startsAt.getTime() <= now.getTime()) throw slotUnavailable('The slot has already started.');
  const date = DateTime.fromJSDate(startsAt, { zone: doctor.timezone }).toISODate()!;
  const slots = (await freeSlotsOf(ctx.db, doctor.id, date, date, now)) ?? [];
  const slot = slots.find((candidate) => candidate.startsAt.getTime() === startsAt.getTime());
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
    },
    'doctor',
  );
}

function checkSpan(startsAt: Date, endsAt: Date): void {
  if (endsAt.getTime() <= startsAt.getTime()) throw fieldError('endsAt', 'must be after startsAt');
  if (endsAt.getTime() - startsAt.getTime() > MAX_APPOINTMENT_MINUTES * MINUTE_MS) {
    throw fieldError('endsAt', `an appointment lasts at most ${MAX_APPOINTMENT_MINUTES / 60} hours`);
  }
}

/** A patient asks for a time that is not offered: status `requested`, which holds the time until the doctor answers. */
export async function requestAppointment(ctx: ServiceContext, input: RequestAppointmentInput, actor: Actor): Promise<AppointmentOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const doctor = await ctx.db.doctor.findFirst({ where: { id: input.doctorId, deletedAt: null }, select: { id: true, acceptingPatients: true } });
  if (!doctor) throw new NotFoundError({ detail: 'The doctor does not exist.' });
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
  if (!patient) throw new NotFoundError({ detail: 'The patient does not exist.' });
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

interface LockedAppointment {
  id: string;
  status: AppointmentStatus;
  startsAt: Date;
}

/** Locks the appointment row if `owner` may see it; 404 otherwise. */
async function lockOwned(tx: DbClient, id: string, owner: queries.Owner): Promise<LockedAppointment> {
  const condition =
    'patientUserId' in owner
      ? tx.$queryRaw<LockedAppointment[]>`
          SELECT a.id::text AS id, a.status::text AS status, a.starts_at AS "startsAt" FROM appointments a
            JOIN patients p ON p.id = a.patient_id
           WHERE a.id = ${id}::uuid AND p.user_id = ${owner.patientUserId}::uuid FOR UPDATE OF a`
      : tx.$queryRaw<LockedAppointment[]>`
          SELECT a.id::text AS id, a.status::text AS status, a.starts_at AS "startsAt" FROM appointments a
            JOIN doctors d ON d.id = a.doctor_id
           WHERE a.id = ${id}::uuid AND d.user_id = ${owner.doctorUserId}::uuid FOR UPDATE OF a`;
  const [row] = await condition;
  if (!row) throw new NotFoundError();
  return row;
}

async function changeStatus(
  ctx: ServiceContext,
  tx: DbClient,
  appointment: LockedAppointment,
  status: AppointmentStatus,
  actor: Actor,
  note: string | null,
  notify: 'patient' | 'doctor',
): Promise<void> {
  const now = ctx.clock.now();
  await tx.appointment.update({ where: { id: appointment.id }, data: { status, updatedAt: now }, select: { id: true } });
  await tx.appointmentStatusChange.create({ data: { appointmentId: appointment.id, status, changedById: actor.userId, note, at: now } });
  await notifyParty(ctx, tx, appointment.id, notify, note);
  if (status === 'confirmed') await scheduleReminder(ctx, tx, appointment);
}

const invalidTransition = (from: AppointmentStatus, to: AppointmentStatus, why?: string) =>
  new UnprocessableError({ code: 'invalid_transition', detail: why ?? `An appointment cannot go from ${from} to ${to}.` });

/** A doctor moves one of their appointments through the workflow. */
export async function updateStatus(ctx: ServiceContext, id: string, input: UpdateStatusInput, actor: Actor): Promise<AppointmentOut> {
  await ctx.db.$transaction(async (tx) => {
    const appointment = await lockOwned(tx, id, { doctorUserId: actor.userId });
    if (!DOCTOR_TRANSITIONS[appointment.status].includes(input.status)) throw invalidTransition(appointment.status, input.status);
    if ((input.status === 'completed' || input.status === 'no_show') && ctx.clock.now().getTime() < appointment.startsAt.getTime()) {
      throw invalidTransition(appointment.status, input.status, `An appointment can be marked ${input.status} only once it has started.`);
    }
    await changeStatus(ctx, tx, appointment, input.status, actor, input.note ?? null, 'patient');
  });
  return (await queries.findAppointment(ctx.db, id))!;
}

/** A patient cancels one of their active appointments. */
export async function cancelAsPatient(ctx: ServiceContext, id: string, input: CancelInput | null | undefined, actor: Actor): Promise<AppointmentOut> {
  await ctx.db.$transaction(async (tx) => {
    const appointment = await lockOwned(tx, id, { patientUserId: actor.userId });
    if (!ACTIVE.includes(appointment.status)) throw invalidTransition(appointment.status, 'cancelled');
    await changeStatus(ctx, tx, appointment, 'cancelled', actor, input?.reason ?? null, 'doctor');
  });
  return (await queries.findAppointment(ctx.db, id))!;
}

/**
 * Cancels every active appointment of a doctor that has not started yet, inside the caller's
 * transaction: a status row by `actor` with `note` each, and a mail to each patient with the
 * cancellation invitation (METHOD:CANCEL). The doctor's booking lock is taken first, so a booking
 * in flight either commits before the sweep (and is cancelled) or waits for it. Started and past
 * appointments stay as they are. Answers how many were cancelled.
 */
export async function cancelUpcomingOfDoctor(ctx: ServiceContext, tx: DbClient, doctorId: string, actor: Actor, note: string | null): Promise<number> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('appointments:' || ${doctorId}))`;
  const upcoming = await tx.$queryRaw<LockedAppointment[]>`
    SELECT id::text AS id, status::text AS status, starts_at AS "startsAt" FROM appointments
     WHERE doctor_id = ${doctorId}::uuid AND status::text = ANY(${[...ACTIVE]}::text[]) AND starts_at > ${ctx.clock.now()}
     ORDER BY starts_at FOR UPDATE`;
  for (const appointment of upcoming) await changeStatus(ctx, tx, appointment, 'cancelled', actor, note, 'patient');
  return upcoming.length;
}

export async function getForPatient(ctx: ServiceContext, id: string, actor: Actor): Promise<AppointmentOut> {
  const appointment = await queries.findAppointment(ctx.db, id, { patientUserId: actor.userId });
  if (!appointment) throw new NotFoundError();
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

export async function list(
  ctx: ServiceContext,
  query: ListQuery,
  actor: Actor,
  as: 'patient' | 'doctor',
): Promise<Omit<Page<AppointmentOut>, 'next' | 'previous'>> {
  const owner: queries.Owner = as === 'patient' ? { patientUserId: actor.userId } : { doctorUserId: actor.userId };
  return queries.listAppointments(ctx.db, owner, { statuses: query.status, ...bounds(query), ...pageWindow(query) });
}
