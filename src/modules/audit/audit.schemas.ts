// What an audit event says (its action, outcome, actor and subject), and the shapes of the audit routes.
import { z } from 'zod';
import type { Role } from '../../generated/prisma/enums.ts';
import { safeString } from '../../lib/strings.ts';
import { instant } from '../../schemas/common.ts';

export type AuditAction =
  | 'register'
  | 'register.replace'
  | 'account.purge'
  | 'two_step.change'
  | 'phone.verify'
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
  | 'qualification.review'
  | 'appointment.create'
  | 'appointment.status_change'
  | 'data_export.request'
  | 'data_export.ready'
  | 'report_export.request'
  | 'report_export.ready'
  | 'webhook.create'
  | 'webhook.update'
  | 'webhook.delete'
  | 'webhook.redeliver'
  | 'catalogue.create'
  | 'catalogue.update'
  | 'catalogue.delete';

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  actorId?: string | null;
  /** The actor's role; looked up from the account when not given. */
  actorRole?: Role | 'system';
  /** What the event was about when there is no actor, e.g. the email of a failed login. */
  subject?: string;
  /** What was touched (`patient`, `appointment`, `user`, ...) and its id. */
  subjectType?: string;
  subjectId?: string;
  /**
   * The user (account) the event is about, whose access log shows it. Defaults to `actorId`:
   * give it whenever someone acts on another user's data.
   */
  subjectUserId?: string | null;
  metadata?: Record<string, string | number | boolean>;
}

/** The opaque keyset cursor of the audit list: the last event's `(at, id)`. */
export interface AuditCursor {
  at: Date;
  id: string;
}

export const auditQuery = z.strictObject({
  actorId: z.uuid().optional(),
  subjectUserId: z.uuid().optional(),
  action: safeString({ min: 1, max: 64 }).regex(/^[a-z_.]+$/, 'must be an action name such as login.failure').optional(),
  from: instant().optional().describe('Events at or after this instant'),
  to: instant().optional().describe('Events before this instant'),
  cursor: safeString({ min: 1, max: 200 }).optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.output<typeof auditQuery>;

export const auditEventSchema = z
  .object({
    id: z.uuid(),
    at: z.string().describe('ISO 8601, UTC'),
    actorId: z.uuid().nullable().describe('The acting user (account); null for the system or an unknown caller'),
    actorRole: z.string().nullable(),
    action: z.string(),
    outcome: z.enum(['success', 'failure']),
    subjectType: z.string().nullable(),
    subjectId: z.uuid().nullable().describe('The id of the object touched (a patient profile, an appointment, ...)'),
    subjectUserId: z.uuid().nullable().describe('The user (account) the event is about'),
    ip: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    hash: z.string(),
    prevHash: z.string(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEventOut = z.output<typeof auditEventSchema>;

export const auditPageSchema = z
  .object({ results: z.array(auditEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditEventPage' });

export const auditVerifySchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int().describe('Events whose hash and link were checked'),
    firstBrokenId: z.uuid().nullable().describe('The first event whose hash or link to the previous one does not hold'),
  })
  .meta({ id: 'AuditVerification' });
export type AuditVerification = z.output<typeof auditVerifySchema>;

/** One line of a user's access log: when, what, and who (by role and name, never by id). */
export const accessEntrySchema = z
  .object({
    at: z.string().describe('ISO 8601, UTC'),
    action: z.string().describe('The audit action, e.g. `patient.read`, `appointment.status_change`'),
    actor: z.object({
      role: z.string().describe('`patient`, `doctor`, `admin`, or `system`'),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
    }),
  })
  .meta({ id: 'AccessLogEntry' });
export type AccessEntry = z.output<typeof accessEntrySchema>;
