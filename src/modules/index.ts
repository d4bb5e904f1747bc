// Every module, in the order app.ts registers them: adding a module means adding it here.
import { accountsModule } from './accounts/index.ts';
import { appointmentsModule } from './appointments/index.ts';
import { availabilityModule } from './availability/index.ts';
import { doctorsModule } from './doctors/index.ts';
import { mediaModule } from './media/index.ts';
import type { ModuleDescriptor } from './module.ts';
import { operationsModule } from './operations/index.ts';
import { patientsModule } from './patients/index.ts';
import { portalModule } from './portal/index.ts';
import { reviewsModule } from './reviews/index.ts';

export const MODULES: readonly ModuleDescriptor[] = [
  accountsModule,
  patientsModule,
  doctorsModule,
  mediaModule,
  operationsModule,
  availabilityModule,
  appointmentsModule,
  reviewsModule,
  portalModule,
];
