// Every module, in the order app.ts registers them: adding a module means adding it here.
import { accountsModule } from './accounts/index.ts';
import { availabilityModule } from './availability/index.ts';
import { doctorsModule } from './doctors/index.ts';
import type { ModuleDescriptor } from './module.ts';

export const MODULES: readonly ModuleDescriptor[] = [
  accountsModule,
  doctorsModule,
  availabilityModule,
];
