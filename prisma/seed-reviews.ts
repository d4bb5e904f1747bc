// Demo reviews: the demo patient reviews each doctor they had a completed appointment with, a few
// hours after it ended, and each doctor's rating is recounted as the reviews module does.
import { noCache } from '../src/lib/cache.ts';
import type { DbClient } from '../src/lib/db.ts';
import { recountRating } from '../src/modules/doctors/index.ts';

const REVIEWS = [
  { rating: 5, comment: 'Listened carefully and explained everything. Highly recommended.' },
  { rating: 4, comment: 'Thorough check-up; the wait was a little long.' },
  { rating: 5, comment: 'Friendly, on time and clear about next steps.' },
];

/** Skips quietly when the seed made no completed appointments. */
export async function seedDemoReviews(tx: DbClient): Promise<void> {
  const completed = await tx.appointment.findMany({
    where: { status: 'completed' },
    select: { doctorId: true, patientId: true, endsAt: true },
    orderBy: { startsAt: 'asc' },
  });
  const seen = new Set<string>();
  for (const appointment of completed) {
    const key = `${appointment.doctorId}:${appointment.patientId}`;
    if (seen.has(key)) continue; // one review per patient and doctor
    seen.add(key);
    const review = REVIEWS[(seen.size - 1) % REVIEWS.length]!;
    const at = new Date(appointment.endsAt.getTime() + 3 * 3_600_000);
    await tx.review.create({ data: { doctorId: appointment.doctorId, patientId: appointment.patientId, ...review, createdAt: at, updatedAt: at } });
    // Seeded before any server reads: nothing cached to invalidate.
    await recountRating({ db: tx, cache: noCache }, { doctorId: appointment.doctorId });
  }
}
