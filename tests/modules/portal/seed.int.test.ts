// The demo data as the public portal shows it: services, and reviews of the doctors the demo patient saw, with exact ratings.
import { expect, it } from 'vitest';
import { seedDemoData } from '../../../prisma/seed.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API } from '../../helpers/http.ts';
import { ratingOf, type ReviewBody } from '../../helpers/reviews.ts';

/** False when the database already had data: nothing was seeded. */
let seeded = false;
const t = useTestApp({
  prepare: async ({ db }) => {
    seeded = (await seedDemoData(db)) !== null;
  },
});

it('seeds services and one review per doctor the demo patient completed an appointment with; ratings match a recount', async () => {
  expect(seeded).toBe(true);
  const services = (await t.app.inject({ method: 'GET', url: `${API}/public-portal/services/` })).json<{ slug: string }[]>();
  expect(services.map((s) => s.slug)).toContain('general-check-up');

  const page = (await t.app.inject({ method: 'GET', url: `${API}/public-portal/list/doctor/reviews/` })).json<{ count: number; results: ReviewBody[] }>();
  const completed = await t.db.appointment.findMany({ where: { status: 'completed' }, select: { doctorId: true }, distinct: ['doctorId'] });
  expect(completed.length).toBeGreaterThan(0);
  expect(page.count).toBe(completed.length);
  expect(page.results.map((r) => r.doctorId).sort()).toEqual(completed.map((a) => a.doctorId).sort());
  for (const review of page.results) {
    expect(review.reviewer).toEqual({ firstName: 'Pat' });
    const { stored, recount } = await ratingOf(t.db, review.doctorId);
    expect(stored).toEqual(recount);
    expect(stored.count).toBe(1);
  }
  const rated = (await t.app.inject({ method: 'GET', url: `${API}/doctor/list/?ordering=-rating` })).json<{ results: { rating: { average: number | null } }[] }>();
  const averages = rated.results.map((d) => d.rating.average);
  expect(averages.slice(0, completed.length).every((a) => a !== null)).toBe(true);
  expect(averages.slice(completed.length).every((a) => a === null)).toBe(true);
});
