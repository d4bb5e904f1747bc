// What the reviews module holds about a user, for their data export: the reviews they wrote.
import type { DbClient } from '../../lib/db.ts';

export function reviewsDataOf(db: DbClient, userId: string) {
  return db.review.findMany({
    where: { patient: { userId } },
    select: { id: true, doctorId: true, rating: true, comment: true, createdAt: true, updatedAt: true },
    orderBy: { createdAt: 'asc' },
  });
}
