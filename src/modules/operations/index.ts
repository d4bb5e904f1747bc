// The operations module: applications to become a doctor and the admins' decisions on them.
import type { ModuleDescriptor } from '../module.ts';
import operationsRoutes from './operations.routes.ts';

export const operationsModule: ModuleDescriptor = {
  name: 'operations',
  prefix: '/operations',
  routes: operationsRoutes,
  tag: { name: 'doctor-applications', description: 'Applications to become a doctor, and their review by admins.' },
};
