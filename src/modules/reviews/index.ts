// The reviews module: patients review doctors after a completed appointment; public reads, also
// as the portal's latest reviews. It owns the reviews table; the doctors module keeps the rating.
import type { ModuleDescriptor } from '../module.ts';
import reviewsRoutes, { portalReviewRoutes } from './reviews.routes.ts';

export { reviewsDataOf } from './reviews.export.ts';

export const reviewsModule: ModuleDescriptor = {
  name: 'reviews',
  routes: [
    { prefix: '/doctor', plugin: reviewsRoutes },
    { prefix: '/public-portal', plugin: portalReviewRoutes },
  ],
  tags: [{ name: 'reviews', description: 'Patients’ reviews of doctors and the doctors’ ratings.' }],
};
