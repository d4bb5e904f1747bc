// The availability module: doctors' weekly windows and time off, and the free slots patients book from.
import type { ModuleDescriptor } from '../module.ts';
import availabilityRoutes from './availability.routes.ts';

export const availabilityModule: ModuleDescriptor = {
  name: 'availability',
  prefix: '/doctor',
  routes: availabilityRoutes,
  tag: { name: 'availability', description: 'Doctors’ weekly windows, time off and free slots.' },
};
