// The public portal: contact and bug report forms with the admins' inboxes, and the services
// catalogue. It owns contact_messages, bug_reports and services.
import type { ModuleDescriptor } from '../module.ts';
import portalRoutes from './portal.routes.ts';

export const portalModule: ModuleDescriptor = {
  name: 'portal',
  routes: [{ prefix: '/public-portal', plugin: portalRoutes }],
  tags: [{ name: 'portal', description: 'The public portal: contact and bug reports, services, public lists of doctors and reviews.' }],
};
