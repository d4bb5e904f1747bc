// The doctors module: specialization and designation catalogues, the public doctor list and
// profiles, the doctor's own profile, qualifications. It owns the doctors, specializations,
// designations, their link tables and qualifications; others change a doctor only through the
// functions below.
import type { ModuleDescriptor } from '../module.ts';
import doctorsRoutes, { portalDoctorRoutes } from './doctors.routes.ts';

export { checkCatalogueIds, createProfileFromApplication, getDoctor, listDoctors, recountRating } from './doctors.service.ts';
export type { DoctorView } from './doctors.schemas.ts';
export { doctorDataOf } from './doctors.export.ts';

/** The read-cache reference (lib/cache.ts) of the doctors' public data: profiles, their catalogue links, ratings, visibility. */
export { DOCTORS_CACHE_REF } from './doctors.service.ts';

export const doctorsModule: ModuleDescriptor = {
  name: 'doctors',
  routes: [
    { prefix: '/doctor', plugin: doctorsRoutes },
    { prefix: '/public-portal', plugin: portalDoctorRoutes },
  ],
  tags: [{ name: 'doctors', description: 'Doctors, their profiles and qualifications; specialization and designation catalogues.' }],
};
