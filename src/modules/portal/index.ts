// The public portal: contact and bug report forms with the admins' inboxes, the services catalogue, and public lists of doctors and reviews.
import type { ModuleDescriptor } from '../module.ts';
import portalRoutes from './portal.routes.ts';

export const portalModule: ModuleDescriptor = {
  name: 'portal',
  prefix: '/public-portal',
  routes: portalRoutes,
  tag: { name: 'portal', description: 'The public portal: contact and bug reports, services, public lists of doctors and reviews.' },
};
