// The reviews module: patients review doctors after a completed appointment; public reads; the doctor's rating kept exact.
import type { ModuleDescriptor } from '../module.ts';
import reviewsRoutes from './reviews.routes.ts';

export const reviewsModule: ModuleDescriptor = {
  name: 'reviews',
  prefix: '/doctor',
  routes: reviewsRoutes,
  tag: { name: 'reviews', description: 'Patients’ reviews of doctors and the doctors’ ratings.' },
};
