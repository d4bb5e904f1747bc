// The doctors module: specialization and designation catalogues, the public doctor list and profiles, the doctor's own profile, qualifications.
import type { ModuleDescriptor } from '../module.ts';
import doctorsRoutes from './doctors.routes.ts';

export const doctorsModule: ModuleDescriptor = {
  name: 'doctors',
  prefix: '/doctor',
  routes: doctorsRoutes,
  tag: { name: 'doctors', description: 'Doctors, their profiles and qualifications; specialization and designation catalogues.' },
};
