// Every module, in the order app.ts registers them: adding a module means adding it here.
import { accountsModule } from './accounts/index.ts';
import { auditModule } from './audit/index.ts';
import { dataExportModule } from './data-export/index.ts';
import { doctorsModule } from './doctors/index.ts';
import { fhirModule } from './fhir/index.ts';
import { mediaModule } from './media/index.ts';
import type { ModuleDescriptor } from './module.ts';
import { operationsModule } from './operations/index.ts';
import { patientsModule } from './patients/index.ts';
import { portalModule } from './portal/index.ts';
import { reportsModule } from './reports/index.ts';
import { reviewsModule } from './reviews/index.ts';
import { schedulingModule } from './scheduling/index.ts';
import { webhooksModule } from './webhooks/index.ts';

export { findActiveSession } from './accounts/index.ts';

export const MODULES: readonly ModuleDescriptor[] = [
  auditModule,
  accountsModule,
  patientsModule,
  doctorsModule,
  mediaModule,
  operationsModule,
  schedulingModule,
  reviewsModule,
  portalModule,
  webhooksModule,
  dataExportModule,
  fhirModule,
  reportsModule,
];
