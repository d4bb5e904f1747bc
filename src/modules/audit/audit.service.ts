// Security audit trail: who did what, to whose data, from where, with what outcome. Never
// secrets. Events are written in the transaction of what they record, with the caller's request
// meta and clock; the database chains and seals them (audit.queries.ts). Admins list them and
// verify the chain.
import type { ServiceContext, TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { CatalogueAudit } from '../../plugins/catalogue.ts';
import * as queries from './audit.queries.ts';
import type { AccessEntry, AuditCursor, AuditEntry, AuditEventOut, AuditQuery, AuditVerification } from './audit.schemas.ts';

/** What recording needs: the database (usually the transaction), the call's meta and the clock. */
export type AuditContext = Pick<TxContext, 'db' | 'meta' | 'clock'>;

/** The audit of an admin's catalogue change (plugins/catalogue.ts): specializations, designations, services. */
export const auditCatalogueChange: CatalogueAudit = (tx, change) =>
  recordAudit(tx, {
    action: `catalogue.${change.action}`,
    outcome: 'success',
    actorId: change.actor.userId,
    actorRole: change.actor.role,
    subjectType: change.table,
    subjectId: change.id,
  });

export async function recordAudit(ctx: AuditContext, entry: AuditEntry): Promise<void> {
  await recordAudits(ctx, [entry]);
}

/**
 * Several entries of one call in one statement (e.g. one `patient.read` per patient on a page).
 * Appending locks the chain's head until the transaction ends: record last in a transaction,
 * after its other locks, so writers never wait on each other in a cycle.
 */
export async function recordAudits(ctx: AuditContext, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await queries.insertEvents(ctx.db, entries, ctx.meta, ctx.clock.now());
}

const encodeCursor = (row: { at: Date; id: string }) => Buffer.from(`${row.at.toISOString()}|${row.id}`).toString('base64url');

function decodeCursor(cursor: string): AuditCursor {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const time = Date.parse(at ?? '');
  if (rest.length > 0 || Number.isNaN(time) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id ?? '')) {
    throw new ValidationError({ errors: [{ path: 'query.cursor', message: 'must be the nextCursor of an earlier page' }] });
  }
  return { at: new Date(time), id: id! };
}

function toEventOut(row: queries.AuditRow): AuditEventOut {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actor_id,
    actorRole: row.actor_role,
    action: row.action,
    outcome: row.outcome as AuditEventOut['outcome'],
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    subjectUserId: row.subject_user_id,
    ip: row.ip,
    detail: { ...row.metadata, ...(row.subject === null ? {} : { subject: row.subject }) },
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}

/** A page of events, newest first, and the cursor of the next page (null after the last). */
export async function listAudit(ctx: ServiceContext, query: AuditQuery): Promise<{ results: AuditEventOut[]; nextCursor: string | null }> {
  const filter: queries.AuditFilter = {
    actorId: query.actorId,
    subjectUserId: query.subjectUserId,
    action: query.action,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    before: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
  };
  // One more than asked: whether a next page exists without counting.
  const rows = await queries.selectEvents(ctx.db, filter, query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { results: page.map(toEventOut), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

const GENESIS_HASH = '0'.repeat(64);
const VERIFY_BATCH = 2_000;

/**
 * Walks the chain from its first event: each must follow the one before (seq + 1, its
 * prevHash the previous hash) and its stored hash must be the hash of its content. The chain
 * must end at the head. Only events up to the head read first are checked, so events appended
 * meanwhile (committed with a later head) do not count as broken.
 */
export async function verifyChain(db: DbClient): Promise<AuditVerification> {
  const head = await queries.selectHead(db);
  let lastSeq = 0n;
  let lastHash = GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const links = await queries.selectLinks(db, lastSeq, head.seq, VERIFY_BATCH);
    for (const link of links) {
      checked += 1;
      if (link.seq !== lastSeq + 1n || link.prevHash !== lastHash || link.hash !== link.recomputed) {
        return { ok: false, checked, firstBrokenId: link.id };
      }
      lastSeq = link.seq;
      lastHash = link.hash;
    }
    if (links.length < VERIFY_BATCH) break;
  }
  // The newest events are gone (or the head was moved): the missing event is the head's.
  if (lastSeq !== head.seq || lastHash !== head.hash) return { ok: false, checked, firstBrokenId: head.eventId };
  return { ok: true, checked, firstBrokenId: null };
}

export function verifyAudit(ctx: ServiceContext): Promise<AuditVerification> {
  return verifyChain(ctx.db);
}

/**
 * What others (and the system) did to a user's data, derived from the trail: every event whose
 * subject is the user and whose actor is not. A page, newest first, with the total.
 */
export async function accessLogOf(
  ctx: Pick<ServiceContext, 'db'>,
  input: { userId: string; skip: number; take: number },
): Promise<{ count: number; results: AccessEntry[] }> {
  const rows = await queries.selectAccessLog(ctx.db, input.userId, input);
  const count = rows[0] ? Number(rows[0].total) : input.skip > 0 ? await queries.countAccessLog(ctx.db, input.userId) : 0;
  const results = rows.map((row) => ({
    at: row.at.toISOString(),
    action: row.action,
    actor: { role: row.actor_role ?? 'system', firstName: row.first_name, lastName: row.last_name },
  }));
  return { count, results };
}

/** The audit events by or about a user, for their data export. */
export function auditDataOf(db: DbClient, userId: string) {
  return queries.selectEventsOfUser(db, userId);
}
