// The audit module: the append-only, hash-chained security audit trail every other module
// records into, the admins' routes over it (`operations/audit/`), and what a user may read of
// the events about them. It owns audit_events and audit_chain_head.
import type { ModuleDescriptor } from '../module.ts';
import auditRoutes from './audit.routes.ts';

export { accessLogOf, auditCatalogueChange, auditDataOf, recordAudit, recordAudits, verifyChain, type AuditContext } from './audit.service.ts';
export { accessEntrySchema, type AccessEntry, type AuditAction, type AuditEntry } from './audit.schemas.ts';

export const auditModule: ModuleDescriptor = {
  name: 'audit',
  routes: [{ prefix: '/operations', plugin: auditRoutes }],
  tags: [{ name: 'audit', description: 'The append-only, hash-chained audit trail and its verification.' }],
};
