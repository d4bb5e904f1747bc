// Rows of audit_events, written only by this module.
import type { DbClient } from '../../lib/db.ts';
import type { RequestMeta } from '../../lib/context.ts';
import type { AuditEntry } from './audit.schemas.ts';

export async function insertEvents(db: DbClient, entries: readonly AuditEntry[], meta: RequestMeta, at: Date): Promise<void> {
  await db.auditEvent.createMany({
    data: entries.map((entry) => ({
      action: entry.action,
      outcome: entry.outcome,
      actorId: entry.actorId ?? null,
      subject: entry.subject ?? null,
      ip: meta.ip,
      requestId: meta.requestId,
      ...(entry.metadata ? { metadata: entry.metadata } : {}),
      createdAt: at,
    })),
  });
}
