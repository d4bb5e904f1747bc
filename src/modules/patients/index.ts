// The patients module: the role-scoped patient list, records by id or email (a doctor sees only
// their patients), the patient's own profile, avatar, erasure and access log. It owns the patients
// table; a patient profile is made when an account is activated (`account.activated`), and
// appointment changes are audited as changes of the patient's record (`appointment.*`).
import type { ModuleDescriptor } from '../module.ts';
import patientsRoutes from './patients.routes.ts';
import { auditAppointmentChanges, createProfile } from './patients.service.ts';

export { getPatient, listPatients, patientDataOf } from './patients.service.ts';
export type { PatientView } from './patients.schemas.ts';

export const patientsModule: ModuleDescriptor = {
  name: 'patients',
  routes: [{ prefix: '/patient', plugin: patientsRoutes }],
  tags: [{ name: 'patients', description: 'Patient records: the scoped list, profiles, avatars and account erasure.' }],
  subscriptions: [
    { event: 'account.activated', handle: createProfile },
    { event: 'appointment.created', handle: (tx, event) => auditAppointmentChanges(tx, [event]) },
    { event: 'appointment.status_changed', handle: (tx, event) => auditAppointmentChanges(tx, [event]), handleAll: auditAppointmentChanges },
  ],
};
