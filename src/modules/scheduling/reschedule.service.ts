// Rescheduling: one transaction under the doctor's calendar lock marks the appointment
// `rescheduled` and creates its replacement (same status, the doctor's present buffers, linked
// both ways, one calendar identity). The old time is let go first, so the new one may overlap it;
// if the new time is not free the transaction rolls back and nothing changes (409).
import { DateTime } from 'luxon';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { notifyParty, scheduleReminder } from './appointments.mails.ts';
import * as queries from './appointments.queries.ts';
import type { AppointmentOut, AppointmentStatus, DoctorRescheduleInput, PatientRescheduleInput } from './appointments.schemas.ts';
import { checkSpan, insideCancelNotice, lockOwned } from './appointments.service.ts';
import { freeSlotAt } from './availability.service.ts';
import type { TimeSpan } from './availability.slots.ts';
import { freeSlotsChanged, lockCalendar, patientIdOf } from './calendar.ts';
import { claimHeldTime, liveHold } from './holds.service.ts';
import { rulesOf } from './rules.service.ts';
import { announceFreedTime } from './waitlist.freed.ts';
import { fieldError, invalidTransition, notFound, policyViolation, slotUnavailable } from './scheduling.errors.ts';

const MOVABLE: readonly AppointmentStatus[] = ['pending', 'confirmed'];

interface Replaced {
  id: string;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  endsAt: Date;
  timezone: string;
}

interface RescheduleRequest {
  id: string;
  owner: queries.Owner;
  by: 'patient' | 'doctor';
  reason: string | undefined;
  holdId?: string | undefined;
  /** The new time, read under the lock once the old time has been let go. */
  newTime: (tx: TxContext, old: Replaced) => Promise<TimeSpan>;
}

async function reschedule(ctx: ServiceContext, request: RescheduleRequest, actor: Actor): Promise<AppointmentOut> {
  const current = await queries.findAppointment(ctx.db, request.id, request.owner);
  if (!current) throw notFound();
  try {
    return await inTransaction(ctx, async (tx) => {
      await lockCalendar(tx, current.doctor.id);
      const locked = await lockOwned(tx, request.id, request.owner);
      if (!MOVABLE.includes(locked.status)) throw invalidTransition(locked.status, 'rescheduled');
      const now = tx.clock.now();
      const rules = await rulesOf(tx.db, locked.doctorId);
      const series = await queries.seriesOf(tx.db, locked.id);
      if (request.by === 'patient') {
        if (await insideCancelNotice(tx, locked.doctorId, locked.startsAt)) {
          throw policyViolation('It is too late to reschedule this appointment; please contact the doctor.');
        }
        if (series.reschedules + 1 > rules.maxReschedules) {
          throw policyViolation(`This appointment has been rescheduled ${series.reschedules} times, the most the doctor allows.`);
        }
      }
      const row = await tx.db.appointment.findUniqueOrThrow({
        where: { id: locked.id },
        select: { patientId: true, endsAt: true, type: true, reason: true, doctor: { select: { timezone: true } } },
      });
      const note = request.reason ?? null;
      await tx.db.appointment.update({ where: { id: locked.id }, data: { status: 'rescheduled', updatedAt: now }, select: { id: true } });
      await tx.db.appointmentStatusChange.create({ data: { appointmentId: locked.id, status: 'rescheduled', changedById: actor.userId, note, at: now } });

      const old: Replaced = { id: locked.id, doctorId: locked.doctorId, patientId: row.patientId, startsAt: locked.startsAt, endsAt: row.endsAt, timezone: row.doctor.timezone };
      const time = await request.newTime(tx, old);
      const buffers = { bufferBeforeMinutes: rules.bufferBeforeMinutes, bufferAfterMinutes: rules.bufferAfterMinutes };
      await claimHeldTime(tx, { doctorId: old.doctorId, patientId: old.patientId, holdId: request.holdId, span: { ...time, ...buffers } });
      const created = await tx.db.appointment.create({
        data: {
          patientId: old.patientId,
          doctorId: old.doctorId,
          startsAt: time.startsAt,
          endsAt: time.endsAt,
          type: row.type,
          reason: row.reason,
          status: locked.status,
          ...buffers,
          rescheduledFromId: old.id,
          seriesId: series.seriesId,
          createdAt: now,
          statusHistory: { create: { status: locked.status, changedById: actor.userId, note, at: now } },
        },
        select: { id: true, startsAt: true },
      });
      // One mail to each party about the new time; a confirmed one replaces the calendar event (same UID, higher SEQUENCE).
      const moved = `Moved from ${DateTime.fromJSDate(old.startsAt, { zone: old.timezone }).toFormat('cccc d LLLL yyyy, HH:mm')}${note ? `: ${note}` : ''}`;
      await notifyParty(tx, { appointmentId: created.id, recipient: 'patient', note: moved });
      await notifyParty(tx, { appointmentId: created.id, recipient: 'doctor', note: moved });
      if (locked.status === 'confirmed') await scheduleReminder(tx, created);
      await announceFreedTime(tx, old.doctorId, old);
      await freeSlotsChanged(tx, old.doctorId);

      const previous = (await queries.findAppointment(tx.db, old.id))!;
      const appointment = (await queries.findAppointment(tx.db, created.id))!;
      await tx.events.publish(tx, 'appointment.status_changed', { appointment: previous, actor, previousStatus: locked.status });
      await tx.events.publish(tx, 'appointment.rescheduled', { appointment, previous, actor, previousStatus: locked.status });
      return appointment;
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('The doctor already has an appointment at that time.');
    throw error;
  }
}

/** A patient moves their appointment to a free slot or to the slot of their live hold, within the doctor's rules. */
export async function rescheduleAsPatient(ctx: ServiceContext, input: PatientRescheduleInput & { id: string }, actor: Actor): Promise<AppointmentOut> {
  if ((input.startsAt === undefined) === (input.holdId === undefined)) throw fieldError('startsAt', 'give exactly one of startsAt and holdId');
  const patientId = await patientIdOf(ctx.db, actor);
  return reschedule(
    ctx,
    {
      id: input.id,
      owner: { patientUserId: actor.userId },
      by: 'patient',
      reason: input.reason,
      holdId: input.holdId,
      newTime: async (tx, old) => {
        if (input.holdId !== undefined) {
          const hold = await liveHold(tx, { id: input.holdId, patientId });
          if (hold.doctorId !== old.doctorId) throw slotUnavailable('The hold is for another doctor.');
          return hold;
        }
        const startsAt = new Date(input.startsAt!);
        const slot = startsAt.getTime() > tx.clock.now().getTime() ? await freeSlotAt(tx, { id: old.doctorId, timezone: old.timezone }, startsAt) : undefined;
        if (!slot) throw slotUnavailable('That time is not a free slot of the doctor.');
        return slot;
      },
    },
    actor,
  );
}

/** A doctor moves one of their appointments to any time that collides with nothing; the length stays unless endsAt is given. */
export async function rescheduleAsDoctor(ctx: ServiceContext, input: DoctorRescheduleInput & { id: string }, actor: Actor): Promise<AppointmentOut> {
  return reschedule(
    ctx,
    {
      id: input.id,
      owner: { doctorUserId: actor.userId },
      by: 'doctor',
      reason: input.reason,
      newTime: async (_tx, old) => {
        const startsAt = new Date(input.startsAt);
        const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(startsAt.getTime() + old.endsAt.getTime() - old.startsAt.getTime());
        checkSpan(startsAt, endsAt);
        return { startsAt, endsAt };
      },
    },
    actor,
  );
}
