// The patients module: the role-scoped patient list, records by email, the patient's own profile, avatar and erasure.
import type { ModuleDescriptor } from '../module.ts';
import patientsRoutes from './patients.routes.ts';

export const patientsModule: ModuleDescriptor = {
  name: 'patients',
  prefix: '/patient',
  routes: patientsRoutes,
  tag: { name: 'patients', description: 'Patient records: the scoped list, profiles, avatars and account erasure.' },
};
