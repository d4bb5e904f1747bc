// Waitlist offers: a freed slot of a doctor goes to the oldest waiting entry covering its date.
// Under the doctor's calendar lock the slot is checked free (as patients see free slots), held for
// that entry's patient for WAITLIST_OFFER_TTL (a slot_holds row, so the exclusion constraint keeps
// it from anyone else and one slot is never offered twice), and the patient is told. Lapsed offers
// are handled by a job enqueued for the moment they lapse, which passes the slot to the next entry.
import { DateTime } from 'luxon';
import { inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { noticeMail } from '../../lib/mail-templates.ts';
import { freeSlotsOf } from './availability.service.ts';
import { MAX_RANGE_DAYS, type TimeSpan } from './availability.slots.ts';
import { freeSlotsChanged, lockCalendar } from './calendar.ts';
import { deleteExpiredOfDoctor } from './holds.queries.ts';
import { rulesOf } from './rules.service.ts';
import type { FreedTimeJob } from './waitlist.freed.ts';
import * as queries from './waitlist.queries.ts';

export const WAITLIST_EXPIRY_QUEUE = 'waitlist.offer-lapsed';

export interface OfferLapsedJob {
  entryId: string;
  holdId: string;
}

const MINUTE_MS = 60_000;

const localDate = (instant: Date, zone: string) => DateTime.fromJSDate(instant, { zone }).toISODate()!;
const addDays = (date: string, days: number) => DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;

/** The job of waitlist.freed.ts: offers the freed time to the waitlist, under the doctor's calendar lock. */
export async function offerFreedTime(ctx: ServiceContext, job: FreedTimeJob): Promise<number> {
  return inTransaction(ctx, async (tx) => {
    await lockCalendar(tx, job.doctorId);
    return offerSlotsIn(tx, job.doctorId, { startsAt: new Date(job.startsAt), endsAt: new Date(job.endsAt) });
  });
}

/**
 * Offers each free slot of the doctor near `freed` to the oldest waiting entry covering its date,
 * inside the caller's transaction, which holds the doctor's calendar lock. Slots within the
 * doctor's buffers of `freed` count: a freed appointment frees its padding too. Answers how many
 * offers were made.
 */
export async function offerSlotsIn(tx: TxContext, doctorId: string, freed: TimeSpan): Promise<number> {
  const doctor = await tx.db.doctor.findFirst({ where: { id: doctorId, deletedAt: null }, select: { id: true, timezone: true } });
  if (!doctor) return 0;
  const now = tx.clock.now();
  const rules = await rulesOf(tx.db, doctorId);
  const padMs = (rules.bufferBeforeMinutes + rules.bufferAfterMinutes) * MINUTE_MS;
  const near = { startsAt: new Date(Math.max(freed.startsAt.getTime() - padMs, now.getTime())), endsAt: new Date(freed.endsAt.getTime() + padMs) };
  if (near.endsAt.getTime() <= near.startsAt.getTime()) return 0;
  const first = localDate(near.startsAt, doctor.timezone);
  const last = localDate(near.endsAt, doctor.timezone);
  if (!(await queries.anyWaiting(tx.db, doctorId, first, last))) return 0;
  // The exclusion constraint cannot see the clock: lapsed holds go before new ones are written.
  await deleteExpiredOfDoctor(tx.db, doctorId, now);
  let offers = 0;
  for (let from = first; from <= last; from = addDays(from, MAX_RANGE_DAYS)) {
    const to = [addDays(from, MAX_RANGE_DAYS - 1), last].sort()[0]!;
    const slots = (await freeSlotsOf(tx, { doctorId, from, to })) ?? [];
    for (const slot of slots) {
      if (slot.startsAt.getTime() >= near.endsAt.getTime() || slot.endsAt.getTime() <= near.startsAt.getTime()) continue;
      if (await offerSlot(tx, { ...doctor, ...rules }, slot, now)) offers += 1;
    }
  }
  return offers;
}

/** Holds `slot` for the next entry in line and tells its patient; false when nobody waits for it or it overlaps an offer just made. */
async function offerSlot(
  tx: TxContext,
  doctor: { id: string; timezone: string; bufferBeforeMinutes: number; bufferAfterMinutes: number },
  slot: TimeSpan,
  now: Date,
): Promise<boolean> {
  const buffers = { bufferBeforeMinutes: doctor.bufferBeforeMinutes, bufferAfterMinutes: doctor.bufferAfterMinutes };
  // Neighbouring free slots may overlap once padded: the first one offered takes the time.
  if (await queries.liveHoldOverlaps(tx.db, doctor.id, { ...slot, ...buffers }, now)) return false;
  const entry = await queries.lockNextInLine(tx.db, doctor.id, localDate(slot.startsAt, doctor.timezone), slot.startsAt);
  if (!entry) return false;
  const expiresAt = new Date(now.getTime() + tx.config.lifetimes.waitlistOfferSeconds * 1000);
  const hold = await tx.db.slotHold.create({
    data: { doctorId: doctor.id, patientId: entry.patientId, waitlistEntryId: entry.id, ...slot, ...buffers, expiresAt, createdAt: now },
    select: { id: true },
  });
  await freeSlotsChanged(tx, doctor.id);
  await tx.db.waitlistEntry.update({
    where: { id: entry.id },
    data: { status: 'offered', offerHoldId: hold.id, offerStartsAt: slot.startsAt, offerEndsAt: slot.endsAt, offerExpiresAt: expiresAt, updatedAt: now },
    select: { id: true },
  });
  const job: OfferLapsedJob = { entryId: entry.id, holdId: hold.id };
  await tx.jobs.enqueue(tx.db, WAITLIST_EXPIRY_QUEUE, job, { startAfter: expiresAt });
  const offered = queries.toEntry((await queries.findEntry(tx.db, entry.id))!);
  const patientUserId = await mailOffer(tx, { entryId: entry.id, patientId: entry.patientId, doctorId: doctor.id, timezone: doctor.timezone, slot, expiresAt });
  // SMS and webhooks subscribe to this event.
  await tx.events.publish(tx, 'waitlist.offered', { entry: offered, patientUserId });
  return true;
}

/** Mails the patient the offer; answers their account id. */
async function mailOffer(
  tx: TxContext,
  input: { entryId: string; patientId: string; doctorId: string; timezone: string; slot: TimeSpan; expiresAt: Date },
): Promise<string> {
  const [patient, doctor] = await Promise.all([
    tx.db.patient.findUniqueOrThrow({ where: { id: input.patientId }, select: { user: { select: { id: true, email: true, firstName: true, deletedAt: true } } } }),
    tx.db.doctor.findUniqueOrThrow({ where: { id: input.doctorId }, select: { user: { select: { firstName: true, lastName: true } } } }),
  ]);
  const user = patient.user;
  if (!user.deletedAt) {
    const at = (instant: Date) => DateTime.fromJSDate(instant, { zone: input.timezone }).toFormat('cccc d LLLL yyyy, HH:mm');
    const when = `${at(input.slot.startsAt)} (${input.timezone})`;
    const mail = noticeMail({
      subject: `A slot is free for you: ${when}`,
      lines: [
        `Hello ${user.firstName || 'there'},`,
        `A slot with Dr ${`${doctor.user.firstName} ${doctor.user.lastName}`.trim()} on ${when} has become free, and we are holding it for you until ${at(input.expiresAt)}.`,
        `Accept it to book it, or decline it so the next patient on the waiting list can have it (waiting list entry ${input.entryId}).`,
      ],
    });
    await enqueueMail(tx.jobs, tx.db, { to: user.email, ...mail });
  }
  return user.id;
}

/**
 * The job enqueued for the moment an offer lapses: if the entry still holds that offer, the entry
 * becomes `expired`, the hold goes and the slot passes to the next entry in line. An offer that was
 * accepted, declined or withdrawn meanwhile is left alone.
 */
export async function expireOffer(ctx: ServiceContext, job: OfferLapsedJob): Promise<boolean> {
  const entry = await queries.findEntry(ctx.db, job.entryId);
  if (!entry) return false;
  return inTransaction(ctx, async (tx) => {
    await lockCalendar(tx, entry.doctorId);
    const locked = await queries.lockEntry(tx.db, job.entryId, null);
    if (!locked || locked.status !== 'offered' || locked.offerHoldId !== job.holdId) return false;
    const now = tx.clock.now();
    if (locked.offerExpiresAt!.getTime() > now.getTime()) {
      // Ran early by this process's clock: come back when it lapses.
      await tx.jobs.enqueue(tx.db, WAITLIST_EXPIRY_QUEUE, job, { startAfter: locked.offerExpiresAt! });
      return false;
    }
    await tx.db.waitlistEntry.update({ where: { id: locked.id }, data: { status: 'expired', updatedAt: now }, select: { id: true } });
    await tx.db.slotHold.deleteMany({ where: { id: job.holdId } });
    await freeSlotsChanged(tx, locked.doctorId);
    await offerSlotsIn(tx, locked.doctorId, { startsAt: locked.offerStartsAt!, endsAt: locked.offerEndsAt! });
    return true;
  });
}

