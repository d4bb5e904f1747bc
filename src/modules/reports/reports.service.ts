// The appointment report: counts by day (in REPORT_TIMEZONE), doctor or status over a date range;
// admins for every doctor or one, doctors for their own appointments only.
import type { Actor, ServiceContext } from '../../lib/context.ts';
import { doctorNotFound, rangeError } from './reports.errors.ts';
import * as queries from './reports.queries.ts';
import { MAX_REPORT_DAYS, type ReportQuery, type ReportView } from './reports.schemas.ts';

const DAY_MS = 86_400_000;

/**
 * The doctor whose appointments `actor` may see: a doctor their own (asking for another's id is
 * 404, like an unknown one), an admin the one asked for (404 if unknown) or every doctor (null).
 */
export async function scopeDoctor(ctx: ServiceContext, actor: Actor, requested: string | undefined): Promise<string | null> {
  if (actor.role === 'doctor') {
    const own = await queries.doctorIdOfUser(ctx.db, actor.userId);
    if (own === null || (requested !== undefined && requested !== own)) throw doctorNotFound();
    return own;
  }
  if (requested === undefined) return null;
  if (!(await queries.doctorExists(ctx.db, requested))) throw doctorNotFound();
  return requested;
}

/** Refuses a range whose end comes before its start or that spans more than `maxDays` days. */
export function checkRange(range: { from?: string | undefined; to?: string | undefined }, path: string, maxDays?: number): void {
  if (range.from === undefined || range.to === undefined) return;
  const days = (Date.parse(range.to) - Date.parse(range.from)) / DAY_MS + 1;
  if (days < 1) throw rangeError(`${path}.to`, 'must not be before from');
  if (maxDays !== undefined && days > maxDays) throw rangeError(`${path}.to`, `must be at most ${maxDays} days after from, both included`);
}

export async function appointmentReport(ctx: ServiceContext, query: ReportQuery, actor: Actor): Promise<ReportView> {
  checkRange(query, 'query', MAX_REPORT_DAYS);
  const doctorId = await scopeDoctor(ctx, actor, query.doctorId);
  const { rows, totals } = await queries.appointmentCounts(ctx.db, {
    from: query.from,
    to: query.to,
    timezone: ctx.config.reportTimezone,
    doctorId,
    groupBy: query.groupBy,
  });
  return { from: query.from, to: query.to, groupBy: query.groupBy, rows, totals };
}
