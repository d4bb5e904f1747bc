// Helpers of the reviews and portal tests: patients with completed appointments, reviews made
// through the API, the stored rating and its recount.
import type { Db } from '../../src/lib/db.ts';
import { loginAs, type Actor } from './actors.ts';
import type { TestApp } from './app.ts';
import { apiUrl } from './http.ts';
import { createAppointment } from './scheduling.ts';

export interface ReviewBody {
  id: string;
  doctorId: string;
  reviewer: { firstName: string };
  rating: number;
  comment: string;
  createdAt: string;
}

/** A logged-in patient with a completed appointment with each doctor (profile ids). */
export async function reviewerOf(t: Pick<TestApp, 'app' | 'db'>, doctorIds: string[], options: { firstName?: string } = {}): Promise<Actor<'patient'>> {
  const patient = await loginAs(t, 'patient', options);
  for (const [index, doctorId] of doctorIds.entries()) {
    // Distinct past times: one doctor's appointments never overlap.
    await createAppointment(t.db, doctorId, patient.profileId, new Date(Date.now() - 86_400_000 * (index + 2) - Math.floor(Math.random() * 1e9)));
  }
  return patient;
}

/** POST doctor/reviews/ as `caller`; throws unless 201. */
export async function postReview(t: Pick<TestApp, 'app'>, caller: Pick<Actor, 'headers'>, payload: { doctorId: string; rating: number; comment?: string }): Promise<ReviewBody> {
  const response = await t.app.inject({ method: 'POST', url: apiUrl('doctor/reviews'), headers: caller.headers, payload });
  if (response.statusCode !== 201) throw new Error(`review failed: ${response.statusCode} ${response.body}`);
  return response.json<ReviewBody>();
}

/** The stored aggregate next to a recount from the reviews table. */
export async function ratingOf(db: Db, doctorId: string) {
  const doctor = await db.doctor.findUniqueOrThrow({ where: { id: doctorId }, select: { ratingAverage: true, ratingCount: true } });
  const [recount] = await db.$queryRaw<{ average: string | null; count: number }[]>`
    SELECT round(avg(rating), 2)::text AS average, count(*)::int AS count FROM reviews WHERE doctor_id = ${doctorId}::uuid`;
  return {
    stored: { average: doctor.ratingAverage === null ? null : doctor.ratingAverage.toFixed(2), count: doctor.ratingCount },
    recount: { average: recount!.average, count: recount!.count },
  };
}
