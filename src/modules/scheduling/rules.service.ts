// A doctor's booking rules: read and replaced by the doctor or an admin, and read by bookings and
// free slots. A doctor without a row has DEFAULT_RULES.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { resolveDoctorId } from './availability.service.ts';
import { freeSlotsChanged } from './calendar.ts';
import { DEFAULT_RULES, type BookingRules, type BookingRulesOut, type ReplaceRulesInput } from './rules.schemas.ts';

const RULE_COLUMNS = {
  bufferBeforeMinutes: true,
  bufferAfterMinutes: true,
  minNoticeMinutes: true,
  horizonDays: true,
  cancelNoticeMinutes: true,
  maxReschedules: true,
  autoNoShow: true,
  noShowGraceMinutes: true,
  confirmAfterNoShows: true,
} as const;

export async function rulesOf(db: DbClient, doctorId: string): Promise<BookingRules> {
  return (await db.doctorBookingRules.findUnique({ where: { doctorId }, select: RULE_COLUMNS })) ?? DEFAULT_RULES;
}

export async function getRules(ctx: ServiceContext, query: { doctorId?: string | undefined }, actor: Actor): Promise<BookingRulesOut> {
  const doctorId = await resolveDoctorId(ctx.db, actor, query.doctorId, 'query.doctorId');
  return { doctorId, ...(await rulesOf(ctx.db, doctorId)) };
}

/** Replaces the rules; they apply to what is booked from now on (booked appointments keep their buffers). */
export async function replaceRules(ctx: ServiceContext, input: ReplaceRulesInput & { doctorId?: string | undefined }, actor: Actor): Promise<BookingRulesOut> {
  const { doctorId: requested, ...rules } = input;
  const doctorId = await resolveDoctorId(ctx.db, actor, requested, 'query.doctorId');
  const updatedAt = ctx.clock.now();
  const saved = await ctx.db.doctorBookingRules.upsert({
    where: { doctorId },
    create: { doctorId, ...rules, updatedAt },
    update: { ...rules, updatedAt },
    select: RULE_COLUMNS,
  });
  await freeSlotsChanged(ctx, doctorId);
  return { doctorId, ...saved };
}
