// The accounts module: registration, login, tokens, passwords and the caller's own account.
import type { ModuleDescriptor } from '../module.ts';
import { accountJobs } from './accounts.jobs.ts';
import accountsRoutes from './accounts.routes.ts';

export const accountsModule: ModuleDescriptor = {
  name: 'accounts',
  prefix: '/user',
  routes: accountsRoutes,
  tag: { name: 'accounts', description: 'Registration, login, tokens, passwords and the caller’s account.' },
  jobs: accountJobs,
  secretFields: ['otp', 'token', 'refresh'],
};
