// Security audit trail: who did what, from where, with what outcome. Never secrets.
import type { RequestMeta } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';

export type AuditAction =
  | 'register'
  | 'register.replace'
  | 'account.purge'
  | 'two_step.change'
  | 'account.activate'
  | 'login.success'
  | 'login.failure'
  | 'login.lockout'
  | 'otp.failure'
  | 'refresh.reuse'
  | 'logout'
  | 'password.change'
  | 'password.reset'
  | 'role.change'
  | 'patient.read'
  | 'account.erase'
  | 'doctor_application.review'
  | 'qualification.review';

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  actorId?: string | null;
  /** What the event was about when there is no actor, e.g. the email of a failed login. */
  subject?: string;
  metadata?: Record<string, string | number | boolean>;
}

export async function recordAudit(db: DbClient, meta: RequestMeta | null, entry: AuditEntry, at: Date): Promise<void> {
  await db.auditEvent.create({
    data: {
      action: entry.action,
      outcome: entry.outcome,
      actorId: entry.actorId ?? null,
      subject: entry.subject ?? null,
      ip: meta?.ip ?? null,
      requestId: meta?.requestId ?? null,
      ...(entry.metadata ? { metadata: entry.metadata } : {}),
      createdAt: at,
    },
  });
}

/** Several entries of one request in one statement (e.g. one `patient.read` per patient on a page). */
export async function recordAudits(db: DbClient, meta: RequestMeta | null, entries: AuditEntry[], at: Date): Promise<void> {
  if (entries.length === 0) return;
  await db.auditEvent.createMany({
    data: entries.map((entry) => ({
      action: entry.action,
      outcome: entry.outcome,
      actorId: entry.actorId ?? null,
      subject: entry.subject ?? null,
      ip: meta?.ip ?? null,
      requestId: meta?.requestId ?? null,
      ...(entry.metadata ? { metadata: entry.metadata } : {}),
      createdAt: at,
    })),
  });
}
