// Availability services: a doctor's weekly windows and time off (owner or admin), and the free
// slots patients are offered.
import { DateTime } from 'luxon';
import { type Actor, inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { isExclusionViolation } from '../../lib/db-errors.ts';
import { lockKey } from '../../lib/locks.ts';
import { uuidv7 } from '../../lib/ids.ts';
import * as queries from './availability.queries.ts';
import type {
  CreateTimeOffInput,
  CreateWindowInput,
  FreeSlotsQuery,
  PatchWindowInput,
  ReplaceWindowInput,
  SlotOut,
  TimeOffOut,
  WindowOut,
} from './availability.schemas.ts';
import { computeFreeSlots, MAX_RANGE_DAYS, type TimeSpan } from './availability.slots.ts';
import { freeSlotsCacheRef, freeSlotsChanged } from './calendar.ts';
import { doctorNotFound, fieldError, noDoctorProfile, notFound, windowOverlaps } from './scheduling.errors.ts';
import { announceFreedTime } from './waitlist.freed.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The longest time-off block one request may create. */
const MAX_TIME_OFF_DAYS = 366;

/**
 * The doctor profile the caller acts on: a doctor's own (naming another doctor is refused, as
 * a field the caller may not set), or for an admin the one named by `requested`.
 */
export async function resolveDoctorId(db: DbClient, actor: Actor, requested: string | undefined, path: string): Promise<string> {
  if (actor.role === 'doctor') {
    const own = await db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
    if (!own) throw noDoctorProfile();
    if (requested !== undefined && requested !== own.id) throw fieldError(path, 'Doctors manage only their own entries.');
    return own.id;
  }
  if (actor.role !== 'admin') throw notFound();
  if (requested === undefined) throw fieldError(path, 'Admins must name the doctor.');
  const doctor = await db.doctor.findUnique({ where: { id: requested }, select: { id: true } });
  if (!doctor) throw doctorNotFound();
  return doctor.id;
}

/** Whether the caller may manage entries of `doctorId`: that doctor or an admin. */
async function canManage(db: DbClient, actor: Actor, doctorId: string): Promise<boolean> {
  if (actor.role === 'admin') return true;
  if (actor.role !== 'doctor') return false;
  const own = await db.doctor.findUnique({ where: { userId: actor.userId }, select: { id: true } });
  return own?.id === doctorId;
}

function checkWindow(values: queries.WindowValues): void {
  if (values.endTime <= values.startTime) throw fieldError('endTime', 'must be after startTime');
  if (values.validFrom && values.validUntil && values.validUntil < values.validFrom) {
    throw fieldError('validUntil', 'must not be before validFrom');
  }
}

/**
 * Writes one of the doctor's windows while holding the doctor's window lock: concurrent writes
 * that would overlap queue up and the later ones meet the exclusion constraint's 409, instead of
 * deadlocking on each other's index entries.
 */
async function writeWindow<T>(ctx: ServiceContext, doctorId: string, write: (db: DbClient) => Promise<T>): Promise<T> {
  try {
    return await inTransaction(ctx, async (tx) => {
      await lockKey(tx.db, 'available-times', doctorId);
      const written = await write(tx.db);
      await freeSlotsChanged(tx, doctorId);
      return written;
    });
  } catch (error) {
    if (isExclusionViolation(error)) throw windowOverlaps();
    throw error;
  }
}

export async function listWindows(ctx: ServiceContext, query: { doctorId?: string | undefined }, actor: Actor): Promise<WindowOut[]> {
  const doctorId = await resolveDoctorId(ctx.db, actor, query.doctorId, 'query.doctorId');
  return queries.listWindows(ctx.db, doctorId);
}

export async function createWindow(ctx: ServiceContext, input: CreateWindowInput, actor: Actor): Promise<WindowOut> {
  const doctorId = await resolveDoctorId(ctx.db, actor, input.doctorId, 'doctorId');
  const values: queries.WindowValues = {
    weekday: input.weekday,
    startTime: input.startTime,
    endTime: input.endTime,
    slotMinutes: input.slotMinutes,
    validFrom: input.validFrom ?? null,
    validUntil: input.validUntil ?? null,
  };
  checkWindow(values);
  const now = ctx.clock.now();
  return writeWindow(ctx, doctorId, (db) => queries.insertWindow(db, uuidv7(now.getTime()), doctorId, values, now));
}

/** The window if the caller may manage it; 404 otherwise. */
export async function getWindow(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<WindowOut> {
  const window = await queries.findWindow(ctx.db, input.id);
  if (!window || !(await canManage(ctx.db, actor, window.doctorId))) throw notFound();
  return window;
}

async function saveWindow(ctx: ServiceContext, current: WindowOut, values: queries.WindowValues): Promise<WindowOut> {
  checkWindow(values);
  const updated = await writeWindow(ctx, current.doctorId, (db) => queries.updateWindow(db, current.id, values, ctx.clock.now()));
  if (!updated) throw notFound();
  return updated;
}

/** PUT: every field replaced; omitted optional dates become null. */
export async function replaceWindow(ctx: ServiceContext, input: ReplaceWindowInput & { id: string }, actor: Actor): Promise<WindowOut> {
  const current = await getWindow(ctx, input, actor);
  return saveWindow(ctx, current, {
    weekday: input.weekday,
    startTime: input.startTime,
    endTime: input.endTime,
    slotMinutes: input.slotMinutes,
    validFrom: input.validFrom ?? null,
    validUntil: input.validUntil ?? null,
  });
}

/** PATCH: the fields sent change, the others stay. */
export async function updateWindow(ctx: ServiceContext, input: PatchWindowInput & { id: string }, actor: Actor): Promise<WindowOut> {
  const current = await getWindow(ctx, input, actor);
  return saveWindow(ctx, current, {
    weekday: input.weekday ?? current.weekday,
    startTime: input.startTime ?? current.startTime,
    endTime: input.endTime ?? current.endTime,
    slotMinutes: input.slotMinutes ?? current.slotMinutes,
    validFrom: input.validFrom !== undefined ? input.validFrom : current.validFrom,
    validUntil: input.validUntil !== undefined ? input.validUntil : current.validUntil,
  });
}

export async function deleteWindow(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<void> {
  const window = await getWindow(ctx, input, actor);
  await ctx.db.availableTime.deleteMany({ where: { id: input.id } });
  await freeSlotsChanged(ctx, window.doctorId);
}

/** Local dates from..to, both included: at most MAX_RANGE_DAYS, `to` not before `from`. */
function checkRange(from: string, to: string): void {
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) throw fieldError('query.to', 'must not be before from');
  if (days > MAX_RANGE_DAYS) throw fieldError('query.to', `must be at most ${MAX_RANGE_DAYS} days from \`from\`, both included`);
}

/**
 * The slots patients may take: free with the doctor's buffers, starting no sooner than the
 * minimum notice and no later than the horizon; and `changesAt`, the first instant at which the
 * clock alone changes them (epoch ms; undefined: never): the first slot passes the minimum
 * notice, a slot comes inside the horizon, or a hold lapses.
 */
function patientSlots(inputs: queries.SlotInputs, range: { from: string; to: string }, now: Date): { slots: TimeSpan[]; changesAt: number | undefined } {
  const candidates = computeFreeSlots({
    timezone: inputs.timezone,
    windows: inputs.windows,
    ...range,
    busy: inputs.busy,
    now: new Date(now.getTime() + inputs.minNoticeMinutes * MINUTE_MS),
    bufferBeforeMinutes: inputs.bufferBeforeMinutes,
    bufferAfterMinutes: inputs.bufferAfterMinutes,
  });
  const changes: number[] = [];
  if (candidates[0]) changes.push(candidates[0].startsAt.getTime() - inputs.minNoticeMinutes * MINUTE_MS);
  if (inputs.holdsLapseAt) changes.push(inputs.holdsLapseAt.getTime());
  let slots = candidates;
  if (inputs.horizonDays !== null) {
    const horizonMs = inputs.horizonDays * DAY_MS;
    const latest = now.getTime() + horizonMs;
    slots = candidates.filter((slot) => slot.startsAt.getTime() <= latest);
    const beyond = candidates[slots.length];
    if (beyond) changes.push(beyond.startsAt.getTime() - horizonMs);
  }
  return { slots, changesAt: changes.length ? Math.min(...changes) : undefined };
}

/**
 * The free slots of a doctor on the local dates from..to (both included), as real instants;
 * undefined when the doctor does not exist. Used by the booking service too.
 */
export async function freeSlotsOf(ctx: Pick<TxContext, 'db' | 'clock'>, input: { doctorId: string; from: string; to: string }): Promise<TimeSpan[] | undefined> {
  const { from, to } = input;
  const inputs = await queries.slotInputs(ctx.db, input.doctorId, from, to, ctx.clock.now());
  if (!inputs) return undefined;
  if (!inputs.acceptingPatients) return [];
  return patientSlots(inputs, { from, to }, ctx.clock.now()).slots;
}

/** The free slot of the doctor that starts at `startsAt` (on the doctor's local date of it), if any. */
export async function freeSlotAt(ctx: Pick<TxContext, 'db' | 'clock'>, doctor: { id: string; timezone: string }, startsAt: Date): Promise<TimeSpan | undefined> {
  const date = DateTime.fromJSDate(startsAt, { zone: doctor.timezone }).toISODate()!;
  const slots = (await freeSlotsOf(ctx, { doctorId: doctor.id, from: date, to: date })) ?? [];
  return slots.find((candidate) => candidate.startsAt.getTime() === startsAt.getTime());
}

/**
 * The doctors among `doctorIds` with at least one free slot on the local date `date` (each in
 * their own time zone), for the doctor list's `?available=` filter: one SQL statement for all.
 */
export async function doctorsAvailableOn(ctx: Pick<TxContext, 'db' | 'clock'>, input: { doctorIds: readonly string[]; date: string }): Promise<Set<string>> {
  const { date } = input;
  const now = ctx.clock.now();
  const inputs = await queries.slotInputsOfMany(ctx.db, input.doctorIds, date, date, now);
  const available = new Set<string>();
  for (const [doctorId, input] of inputs) {
    if (!input.acceptingPatients || input.windows.length === 0) continue;
    if (patientSlots(input, { from: date, to: date }, now).slots.length > 0) available.add(doctorId);
  }
  return available;
}

/** The public free slots (null: no such doctor) and until when the clock leaves them as they are (epoch ms). */
async function freeSlotsAnswer(ctx: ServiceContext, query: FreeSlotsQuery): Promise<{ slots: SlotOut[] | null; validUntil?: number }> {
  const now = ctx.clock.now();
  const inputs = await queries.slotInputs(ctx.db, query.doctorId, query.from, query.to, now);
  if (!inputs) return { slots: null };
  if (!inputs.acceptingPatients) return { slots: [] };
  const { slots, changesAt } = patientSlots(inputs, query, now);
  const answer = slots.map((slot) => ({ startsAt: slot.startsAt.toISOString(), endsAt: slot.endsAt.toISOString() }));
  return changesAt === undefined ? { slots: answer } : { slots: answer, validUntil: changesAt };
}

/**
 * The free slots patients are offered, cached per doctor and range: writes of the doctor's
 * calendar invalidate them (calendar.ts freeSlotsChanged), and a cached answer is not served once
 * the clock alone would change it (a hold lapsing, the minimum notice or the horizon moving).
 */
export async function freeSlots(ctx: ServiceContext, query: FreeSlotsQuery): Promise<SlotOut[]> {
  checkRange(query.from, query.to);
  const { slots } = await ctx.cache.read(
    { key: `free-slots:${query.doctorId}:${query.from}:${query.to}`, refs: [freeSlotsCacheRef(query.doctorId)] },
    () => freeSlotsAnswer(ctx, query),
    (answer) => answer.validUntil,
  );
  if (!slots) throw doctorNotFound();
  return slots;
}

// Time off.

const toTimeOff = (row: queries.TimeOffRow): TimeOffOut => ({
  id: row.id,
  doctorId: row.doctorId,
  startsAt: row.startsAt.toISOString(),
  endsAt: row.endsAt.toISOString(),
  reason: row.reason,
  conflictingAppointmentIds: row.conflictingAppointmentIds,
});

export async function listTimeOff(ctx: ServiceContext, query: { doctorId?: string | undefined }, actor: Actor): Promise<TimeOffOut[]> {
  const doctorId = await resolveDoctorId(ctx.db, actor, query.doctorId, 'query.doctorId');
  return (await queries.timeOffRows(ctx.db, doctorId)).map(toTimeOff);
}

export async function createTimeOff(ctx: ServiceContext, input: CreateTimeOffInput, actor: Actor): Promise<TimeOffOut> {
  const doctorId = await resolveDoctorId(ctx.db, actor, input.doctorId, 'doctorId');
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  if (endsAt <= startsAt) throw fieldError('endsAt', 'must be after startsAt');
  if (endsAt.getTime() - startsAt.getTime() > MAX_TIME_OFF_DAYS * DAY_MS) {
    throw fieldError('endsAt', `time off may last at most ${MAX_TIME_OFF_DAYS} days`);
  }
  const created = await ctx.db.doctorTimeOff.create({
    data: { doctorId, startsAt, endsAt, reason: input.reason, createdAt: ctx.clock.now() },
    select: { id: true },
  });
  await freeSlotsChanged(ctx, doctorId);
  const [row] = await queries.timeOffRows(ctx.db, doctorId, created.id);
  return toTimeOff(row!);
}

export async function deleteTimeOff(ctx: ServiceContext, input: { id: string }, actor: Actor): Promise<void> {
  const block = await ctx.db.doctorTimeOff.findUnique({ where: { id: input.id }, select: { doctorId: true } });
  if (!block || !(await canManage(ctx.db, actor, block.doctorId))) throw notFound();
  await inTransaction(ctx, async (tx) => {
    const deleted = await queries.deleteTimeOff(tx.db, input.id);
    if (deleted) await announceFreedTime(tx, block.doctorId, deleted);
    await freeSlotsChanged(tx, block.doctorId);
  });
}
