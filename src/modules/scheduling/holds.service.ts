// Slot holds: a patient keeps a free slot for SLOT_HOLD_TTL while finishing a booking, and the
// slot leaves everyone else's free slots. Holds are written under the doctor's calendar lock
// (like bookings), checked against the free slots there, and kept apart by their own exclusion
// constraint; an expired hold is ignored by every query, so expiry needs no job. A hold that is
// released, replaced or lapses tells the waitlist (waitlist.freed.ts).
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { checkPatientLimits } from './appointments.limits.ts';
import { freeSlotAt } from './availability.service.ts';
import { freeSlotsChanged, lockCalendar, patientIdOf } from './calendar.ts';
import * as queries from './holds.queries.ts';
import type { CreateHoldInput, HoldOut } from './holds.schemas.ts';
import { rulesOf } from './rules.service.ts';
import { announceFreedTime } from './waitlist.freed.ts';
import { doctorNotFound, notFound, slotUnavailable } from './scheduling.errors.ts';

const toHold = (row: queries.HoldRow): HoldOut => ({
  id: row.id,
  doctorId: row.doctorId,
  startsAt: row.startsAt.toISOString(),
  endsAt: row.endsAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
});

const HOLD_COLUMNS = { id: true, doctorId: true, startsAt: true, endsAt: true, expiresAt: true } as const;

/** Holds a free slot for the caller; their previous hold, if any, is released. */
export async function createHold(ctx: ServiceContext, input: CreateHoldInput, actor: Actor): Promise<HoldOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const doctor = await ctx.db.doctor.findFirst({ where: { id: input.doctorId, deletedAt: null }, select: { id: true, timezone: true } });
  if (!doctor) throw doctorNotFound();
  try {
    return await inTransaction(ctx, async (tx) => {
      await lockCalendar(tx, doctor.id);
      const now = tx.clock.now();
      await queries.deleteExpiredOfDoctor(tx.db, doctor.id, now);
      // Released before the check, so holding the same slot again renews it.
      const previous = await queries.deleteOwn(tx.db, patientId);
      if (previous && previous.expiresAt.getTime() > now.getTime()) {
        await announceFreedTime(tx, previous.doctorId, previous);
        await freeSlotsChanged(tx, previous.doctorId);
      }
      const slot = await freeSlotAt(tx, doctor, new Date(input.startsAt));
      if (!slot) throw slotUnavailable('That time is not a free slot of the doctor.');
      const rules = await rulesOf(tx.db, doctor.id);
      const hold = await tx.db.slotHold.create({
        data: {
          doctorId: doctor.id,
          patientId,
          startsAt: slot.startsAt,
          endsAt: slot.endsAt,
          bufferBeforeMinutes: rules.bufferBeforeMinutes,
          bufferAfterMinutes: rules.bufferAfterMinutes,
          expiresAt: new Date(now.getTime() + tx.config.lifetimes.slotHoldSeconds * 1000),
          createdAt: now,
        },
        select: HOLD_COLUMNS,
      });
      await freeSlotsChanged(tx, doctor.id);
      await checkPatientLimits(tx, { patientId, doctorId: doctor.id, kind: 'upcoming', adding: 1 });
      // If the hold lapses unused, its slot is free again then: the waitlist hears of it at that moment.
      await announceFreedTime(tx, doctor.id, hold, hold.expiresAt);
      return toHold(hold);
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('Another patient holds that time.');
    throw error;
  }
}

/** The holder releases a live hold: the slot is free again at once. Expired, spent or released holds are 404. */
export async function releaseHold(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<void> {
  const patientId = await patientIdOf(ctx.db, actor);
  await inTransaction(ctx, async (tx) => {
    const released = await queries.deleteLive(tx.db, input.id, patientId, tx.clock.now());
    if (!released) throw notFound();
    await announceFreedTime(tx, released.doctorId, released);
    await freeSlotsChanged(tx, released.doctorId);
  });
}

/** The caller's live hold, to book it; 409 when it is expired, spent or not theirs. */
export async function liveHold(ctx: Pick<TxContext, 'db' | 'clock'>, input: { id: string; patientId: string }): Promise<queries.HoldRow> {
  const hold = await queries.findLive(ctx.db, input.id, input.patientId, ctx.clock.now());
  if (!hold) throw slotUnavailable('The hold has expired, was used, or is not yours.');
  return hold;
}

/**
 * Inside a booking's transaction, under the doctor's lock: spends the patient's hold when the
 * booking names one (409 if it expired meanwhile), and otherwise refuses a time that overlaps a
 * live hold of another patient.
 */
export async function claimHeldTime(tx: TxContext, input: { doctorId: string; patientId: string; holdId: string | undefined; span: queries.PaddedSpan }): Promise<void> {
  const now = tx.clock.now();
  if (input.holdId !== undefined) {
    if (!(await queries.deleteLive(tx.db, input.holdId, input.patientId, now))) throw slotUnavailable('The hold has expired, was used, or is not yours.');
    return;
  }
  if (await queries.othersHoldOverlaps(tx.db, input.doctorId, input.patientId, input.span, now)) {
    throw slotUnavailable('Another patient holds that time.');
  }
}

/** The tidy-up job: deletes expired holds (they already block nothing). */
export function purgeExpiredHolds(ctx: Pick<TxContext, 'db' | 'clock'>): Promise<number> {
  return queries.deleteExpired(ctx.db, ctx.clock.now());
}
