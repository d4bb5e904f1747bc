// The FHIR module: a read-only FHIR R4 view (`/fhir/R4/`, outside the REST prefix) of doctors,
// their schedules and free slots, patients and appointments. It owns no tables: every read goes
// through the doctors, patients and scheduling modules' public functions, with their visibility rules.
import type { ModuleDescriptor } from '../module.ts';
import fhirRoutes, { FHIR_PREFIX } from './fhir.routes.ts';

export const fhirModule: ModuleDescriptor = {
  name: 'fhir',
  routes: [{ prefix: FHIR_PREFIX, plugin: fhirRoutes, outsideApi: true }],
  tags: [
    {
      name: 'fhir',
      description:
        'FHIR R4 read API at `/fhir/R4/` (`application/fhir+json`): Practitioner, PractitionerRole, Patient, Schedule, Slot, Appointment and the CapabilityStatement (`metadata`). ' +
        'Same bearer tokens and visibility rules as the REST API; errors are OperationOutcome with the REST status.',
    },
  ],
};
