// Security audit trail: who did what, from where, with what outcome. Never secrets. Events are
// written in the transaction of what they record, with the caller's request meta and clock.
import type { TxContext } from '../../lib/context.ts';
import * as queries from './audit.queries.ts';
import type { AuditEntry } from './audit.schemas.ts';

/** What recording needs: the database (usually the transaction), the call's meta and the clock. */
export type AuditContext = Pick<TxContext, 'db' | 'meta' | 'clock'>;

export async function recordAudit(ctx: AuditContext, entry: AuditEntry): Promise<void> {
  await recordAudits(ctx, [entry]);
}

/** Several entries of one call in one statement (e.g. one `patient.read` per patient on a page). */
export async function recordAudits(ctx: AuditContext, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await queries.insertEvents(ctx.db, entries, ctx.meta, ctx.clock.now());
}
