// The waitlist: a patient waits for a slot of a doctor on some dates (at most 3 entries waiting or
// offered at once). Freed slots are offered by waitlist.offers.ts; here the patient lists, adds and
// withdraws entries, and accepts (books the held slot) or declines (passes it on) an offer. Every
// change of an entry takes the doctor's calendar lock first, then the entry's row, as offers do.
import { DateTime } from 'luxon';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { lockKey } from '../../lib/locks.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { addAppointment } from './appointments.service.ts';
import type { AppointmentOut } from './appointments.schemas.ts';
import { MAX_RANGE_DAYS } from './availability.slots.ts';
import { freeSlotsChanged, lockCalendar, patientIdOf } from './calendar.ts';
import { doctorNotFound, fieldError, limitReached, noOffer, notFound, slotUnavailable } from './scheduling.errors.ts';
import { offerSlotsIn } from './waitlist.offers.ts';
import * as queries from './waitlist.queries.ts';
import type { AcceptOfferInput, CreateEntryInput, EntryOut } from './waitlist.schemas.ts';

/** Entries a patient may have waiting or offered at once. */
export const MAX_OPEN_ENTRIES = 3;
const DAY_MS = 86_400_000;

export async function listEntries(ctx: ServiceContext, query: PageQuery, actor: Actor): Promise<{ count: number; results: EntryOut[] }> {
  const patientId = await patientIdOf(ctx.db, actor);
  return queries.listOfPatient(ctx.db, patientId, pageWindow(query));
}

/** Puts the caller on the doctor's waitlist for the local dates from..to. */
export async function createEntry(ctx: ServiceContext, input: CreateEntryInput, actor: Actor): Promise<EntryOut> {
  const patientId = await patientIdOf(ctx.db, actor);
  const doctor = await ctx.db.doctor.findFirst({ where: { id: input.doctorId, deletedAt: null }, select: { id: true, timezone: true } });
  if (!doctor) throw doctorNotFound();
  const days = (Date.parse(`${input.to}T00:00:00Z`) - Date.parse(`${input.from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) throw fieldError('to', 'must not be before from');
  if (days > MAX_RANGE_DAYS) throw fieldError('to', `must be at most ${MAX_RANGE_DAYS} days from \`from\`, both included`);
  const today = DateTime.fromJSDate(ctx.clock.now(), { zone: doctor.timezone }).toISODate()!;
  if (input.from < today) throw fieldError('from', 'must not be in the past (dates are in the doctor’s time zone)');
  return inTransaction(ctx, async (tx) => {
    // One patient's entries are added one at a time, so the cap holds under concurrency.
    await lockKey(tx.db, 'waitlist', patientId);
    if ((await queries.openCount(tx.db, patientId, tx.clock.now())) >= MAX_OPEN_ENTRIES) {
      throw limitReached(`You may wait for at most ${MAX_OPEN_ENTRIES} slots at once; withdraw an entry first.`);
    }
    const now = tx.clock.now();
    const created = await tx.db.waitlistEntry.create({
      data: { patientId, doctorId: doctor.id, fromDate: new Date(`${input.from}T00:00:00Z`), toDate: new Date(`${input.to}T00:00:00Z`), createdAt: now, updatedAt: now },
      select: { id: true },
    });
    return queries.toEntry((await queries.findEntry(tx.db, created.id))!);
  });
}

/**
 * Runs `work` on the caller's entry under the doctor's calendar lock and the entry's row lock;
 * someone else's entry, or one that is no longer waiting or offered, is 404.
 */
async function withOpenEntry<T>(ctx: ServiceContext, id: string, actor: Actor, work: (tx: TxContext, entry: queries.EntryRow) => Promise<T>): Promise<T> {
  const patientId = await patientIdOf(ctx.db, actor);
  const entry = await queries.findEntry(ctx.db, id);
  if (!entry || entry.patientId !== patientId) throw notFound();
  return inTransaction(ctx, async (tx) => {
    await lockCalendar(tx, entry.doctorId);
    const locked = await queries.lockEntry(tx.db, id, patientId);
    if (!locked || (locked.status !== 'waiting' && locked.status !== 'offered')) throw notFound();
    return work(tx, locked);
  });
}

/** Lets go of the entry's offer, if any: its hold goes and the slot passes to the next entry in line. */
async function releaseOffer(tx: TxContext, entry: queries.EntryRow): Promise<void> {
  if (entry.status !== 'offered') return;
  await tx.db.slotHold.deleteMany({ where: { id: entry.offerHoldId! } });
  await freeSlotsChanged(tx, entry.doctorId);
  await offerSlotsIn(tx, entry.doctorId, { startsAt: entry.offerStartsAt!, endsAt: entry.offerEndsAt! });
}

/** The caller leaves the waitlist: the entry is `cancelled` and an offer it had passes on. */
export async function cancelEntry(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<void> {
  await withOpenEntry(ctx, input.id, actor, async (tx, entry) => {
    await tx.db.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'cancelled', updatedAt: tx.clock.now() }, select: { id: true } });
    await releaseOffer(tx, entry);
  });
}

/** The caller declines the offer: the entry waits again (for other slots) and the slot passes to the next entry. */
export async function declineOffer(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<EntryOut> {
  return withOpenEntry(ctx, input.id, actor, async (tx, entry) => {
    if (entry.status !== 'offered') throw noOffer();
    await tx.db.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'waiting', updatedAt: tx.clock.now() }, select: { id: true } });
    await releaseOffer(tx, entry);
    return queries.toEntry((await queries.findEntry(tx.db, entry.id))!);
  });
}

/**
 * The caller accepts the offer: the held slot is booked like any patient booking (pending, or
 * confirmed when the doctor auto-confirms; the doctor is mailed; `appointment.created`), the hold
 * is spent and the entry is `booked`. A lapsed offer is 409 slot_unavailable.
 */
export async function acceptOffer(ctx: ServiceContext, input: AcceptOfferInput & { id: string }, actor: Actor): Promise<AppointmentOut> {
  try {
    return await withOpenEntry(ctx, input.id, actor, async (tx, entry) => {
      if (entry.status !== 'offered') throw noOffer();
      const now = tx.clock.now();
      if (entry.offerExpiresAt!.getTime() <= now.getTime()) throw slotUnavailable('The offer has lapsed.');
      const doctor = await tx.db.doctor.findFirst({ where: { id: entry.doctorId, deletedAt: null }, select: { autoConfirm: true } });
      if (!doctor) throw doctorNotFound();
      await tx.db.slotHold.deleteMany({ where: { id: entry.offerHoldId! } });
      const appointment = await addAppointment(
        tx,
        actor,
        {
          patientId: entry.patientId,
          doctorId: entry.doctorId,
          startsAt: entry.offerStartsAt!,
          endsAt: entry.offerEndsAt!,
          type: input.type,
          reason: input.reason,
          status: doctor.autoConfirm ? 'confirmed' : 'pending',
        },
        'doctor',
      );
      await tx.db.waitlistEntry.update({ where: { id: entry.id }, data: { status: 'booked', appointmentId: appointment.id, updatedAt: now }, select: { id: true } });
      return appointment;
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw slotUnavailable('The doctor already has an appointment at that time.');
    throw error;
  }
}

/** The tidy-up job: waiting entries whose dates have passed become `expired` (the cap already ignores them). */
export function expirePastEntries(ctx: Pick<TxContext, 'db' | 'clock'>): Promise<number> {
  return queries.expirePast(ctx.db, ctx.clock.now());
}
