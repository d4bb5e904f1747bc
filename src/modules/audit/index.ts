// The audit module: the security audit trail every other module records into.
import type { ModuleDescriptor } from '../module.ts';

export { recordAudit, recordAudits, type AuditContext } from './audit.service.ts';
export type { AuditAction, AuditEntry } from './audit.schemas.ts';

export const auditModule: ModuleDescriptor = {
  name: 'audit',
  routes: [],
  tags: [],
};
