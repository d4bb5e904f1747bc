// The operations module: applications to become a doctor and the admins' decisions on them. It
// owns doctor_applications; an approval asks the doctors and accounts modules for the profile and the role.
import type { ModuleDescriptor } from '../module.ts';
import operationsRoutes from './operations.routes.ts';

export { applicationsDataOf } from './operations.service.ts';

export const operationsModule: ModuleDescriptor = {
  name: 'operations',
  routes: [{ prefix: '/operations', plugin: operationsRoutes }],
  tags: [{ name: 'doctor-applications', description: 'Applications to become a doctor, and their review by admins.' }],
};
