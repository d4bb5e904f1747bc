// The accounts module: registration, login, tokens, passwords and the caller's own account with
// its notification preferences and verified phone. It owns the users, refresh_tokens, otp_codes
// and notification_preferences tables; other modules change them only through the functions
// below, and hear of activations and of changed notification preferences through the
// `account.activated` and `account.notifications_changed` events.
import type { ModuleDescriptor } from '../module.ts';
import { accountJobs } from './accounts.jobs.ts';
import accountsRoutes from './accounts.routes.ts';

export { ACCOUNTS_CACHE_REF, activeAdminEmails, eraseAccount, grantRole, setNames, tombstoneEmail } from './accounts.service.ts';
export { findActiveSession } from './sessions.service.ts';
export { accountDataOf } from './accounts.export.ts';
export { notificationSettingsOf, type NotificationSettings } from './notifications.service.ts';
export { adminPlan, createOrPromoteAdmin, type AdminOutcome } from './admin.service.ts';

export const accountsModule: ModuleDescriptor = {
  name: 'accounts',
  routes: [{ prefix: '/user', plugin: accountsRoutes }],
  tags: [{ name: 'accounts', description: 'Registration, login, tokens, passwords and the caller’s account.' }],
  jobs: accountJobs,
  secretFields: ['otp', 'token', 'refresh', 'code'],
};
