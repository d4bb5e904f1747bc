// What an audit event says: its action, outcome, actor and subject.
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
