// Rows of audit_events, written only by this module. The chain (seq, prev_hash, hash) is set by
// the database's insert triggers (migrations 20261207010000_audit_chain and
// 20261207120454_audit_head_per_statement: the head row is written once per INSERT), not here.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import type { RequestMeta } from '../../lib/context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { AuditCursor, AuditEntry } from './audit.schemas.ts';

/**
 * Appends the entries in their order, in one statement (so the chain's head is written once for
 * all of them). The actor's role is the account's when the entry does not say; the subject user
 * defaults to the actor (an event about their own account).
 */
export async function insertEvents(db: DbClient, entries: readonly AuditEntry[], meta: RequestMeta, at: Date): Promise<void> {
  const rows = entries.map((entry, n) => ({
    n,
    id: uuidv7(at.getTime()),
    actor_id: entry.actorId ?? null,
    actor_role: entry.actorRole ?? null,
    action: entry.action,
    outcome: entry.outcome,
    subject: entry.subject ?? null,
    subject_type: entry.subjectType ?? null,
    subject_id: entry.subjectId ?? null,
    subject_user_id: entry.subjectUserId === undefined ? (entry.actorId ?? null) : entry.subjectUserId,
    metadata: entry.metadata ?? null,
  }));
  await db.$executeRaw`
    INSERT INTO audit_events (id, actor_id, actor_role, action, outcome, subject, subject_type, subject_id, subject_user_id,
                              ip, request_id, metadata, created_at)
    SELECT e.id, e.actor_id, COALESCE(e.actor_role, u.role::text), e.action, e.outcome, e.subject, e.subject_type, e.subject_id,
           e.subject_user_id, ${meta.ip}::inet, ${meta.requestId}, e.metadata, ${at}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
           AS e(id uuid, actor_id uuid, actor_role text, action text, outcome text, subject text, subject_type text,
                subject_id uuid, subject_user_id uuid, metadata jsonb, n int)
      LEFT JOIN users u ON u.id = e.actor_id
     ORDER BY e.n`;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  outcome: string;
  subject: string | null;
  subject_type: string | null;
  subject_id: string | null;
  subject_user_id: string | null;
  ip: string | null;
  metadata: Record<string, unknown> | null;
  hash: string;
  prev_hash: string;
}

export interface AuditFilter {
  actorId?: string | undefined;
  subjectUserId?: string | undefined;
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only events older than this one (the keyset of newest-first paging). */
  before?: AuditCursor | undefined;
}

/** Newest first on (created_at, id): a page boundary stays put however many events arrive meanwhile. */
export function selectEvents(db: DbClient, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter.actorId) conditions.push(Prisma.sql`actor_id = ${filter.actorId}::uuid`);
  if (filter.subjectUserId) conditions.push(Prisma.sql`subject_user_id = ${filter.subjectUserId}::uuid`);
  if (filter.action) conditions.push(Prisma.sql`action = ${filter.action}`);
  if (filter.from) conditions.push(Prisma.sql`created_at >= ${filter.from}`);
  if (filter.to) conditions.push(Prisma.sql`created_at < ${filter.to}`);
  if (filter.before) conditions.push(Prisma.sql`(created_at, id) < (${filter.before.at}, ${filter.before.id}::uuid)`);
  return db.$queryRaw<AuditRow[]>`
    SELECT id::text, created_at AS at, actor_id::text, actor_role, action, outcome, subject, subject_type, subject_id::text,
           subject_user_id::text, host(ip) AS ip, metadata, hash, prev_hash
      FROM audit_events
     WHERE ${Prisma.join(conditions, ' AND ')}
     ORDER BY created_at DESC, id DESC
     LIMIT ${limit}`;
}

export interface ChainHead {
  seq: bigint;
  hash: string;
  eventId: string | null;
}

export async function selectHead(db: DbClient): Promise<ChainHead> {
  const rows = await db.$queryRaw<ChainHead[]>`SELECT seq, hash, event_id::text AS "eventId" FROM audit_chain_head WHERE id = 1`;
  return rows[0]!;
}

export interface ChainLink {
  id: string;
  seq: bigint;
  hash: string;
  prevHash: string;
  recomputed: string;
}

/** Up to `limit` events after `afterSeq` (up to `lastSeq`), each with its hash recomputed from its content. */
export function selectLinks(db: DbClient, afterSeq: bigint, lastSeq: bigint, limit: number): Promise<ChainLink[]> {
  return db.$queryRaw<ChainLink[]>`
    SELECT id::text, seq, hash, prev_hash AS "prevHash", audit_event_hash(e) AS recomputed
      FROM audit_events e
     WHERE seq > ${afterSeq} AND seq <= ${lastSeq}
     ORDER BY seq
     LIMIT ${limit}`;
}

export interface AccessRow {
  at: Date;
  action: string;
  actor_role: string | null;
  first_name: string | null;
  last_name: string | null;
  total: bigint;
}

/**
 * Events about `userId` done by someone else (or the system), newest first, with the actor's
 * current names (the accounts module's users table, read-only), and the total on every row.
 */
export function selectAccessLog(db: DbClient, userId: string, window: { skip: number; take: number }): Promise<AccessRow[]> {
  return db.$queryRaw<AccessRow[]>`
    SELECT e.created_at AS at, e.action, e.actor_role, u.first_name, u.last_name, count(*) OVER () AS total
      FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
     WHERE e.subject_user_id = ${userId}::uuid AND e.actor_id IS DISTINCT FROM ${userId}::uuid
     ORDER BY e.created_at DESC, e.id DESC
     LIMIT ${window.take} OFFSET ${window.skip}`;
}

export async function countAccessLog(db: DbClient, userId: string): Promise<number> {
  const rows = await db.$queryRaw<{ total: bigint }[]>`
    SELECT count(*) AS total FROM audit_events WHERE subject_user_id = ${userId}::uuid AND actor_id IS DISTINCT FROM ${userId}::uuid`;
  return Number(rows[0]?.total ?? 0);
}

/** Every event by or about a user, oldest first, for their data export (other actors by role only). */
export function selectEventsOfUser(db: DbClient, userId: string) {
  return db.$queryRaw<{ id: string; at: Date; action: string; outcome: string; byYou: boolean; actorRole: string | null; subjectType: string | null; subjectId: string | null; ip: string | null }[]>`
    SELECT id::text, created_at AS at, action, outcome, actor_id IS NOT DISTINCT FROM ${userId}::uuid AS "byYou", actor_role AS "actorRole",
           subject_type AS "subjectType", subject_id::text AS "subjectId", host(ip) AS ip
      FROM audit_events
     WHERE subject_user_id = ${userId}::uuid OR actor_id = ${userId}::uuid
     ORDER BY seq`;
}
