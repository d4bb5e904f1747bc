// The webhook events of the reviews and operations modules: `review.created`,
// `doctor_application.submitted` and `doctor_application.decided` go out signed, with the object
// as the API answers it, to the endpoints subscribed to them only, and not for a refused change.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { createDesignation, createSpecialization } from '../../helpers/directory.ts';
import { client } from '../../helpers/http.ts';
import { postReview, reviewerOf } from '../../helpers/reviews.ts';
import { drainJobs, waitUntil } from '../../helpers/wait.ts';
import { createEndpoint, FAST_WEBHOOK_RETRIES, startReceiver, verified, type Receiver } from '../../helpers/webhooks.ts';

const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, overrides: { jobOptions: FAST_WEBHOOK_RETRIES } });
const http = () => client(t.app);

let reviews: Receiver;
let applications: Receiver;
beforeAll(async () => {
  reviews = await startReceiver();
  applications = await startReceiver();
});
afterEach(async () => {
  // Each test's endpoints go with it, so later tests' events reach only their own.
  await t.db.webhookEndpoint.deleteMany();
});
afterAll(async () => {
  await reviews.close();
  await applications.close();
});

describe('events of other modules', () => {
  it('sends review.created with the review as answered, only to endpoints subscribed to it, once per review', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: reviews.url, events: ['review.created'] });
    await createEndpoint(t, admin, { url: applications.url, events: ['doctor_application.submitted', 'doctor_application.decided'] });
    const doctor = await loginAs(t, 'doctor');
    // Two patients of the same doctor: each review is its own event.
    const first = await reviewerOf(t, [doctor.profileId]);
    const second = await reviewerOf(t, [doctor.profileId]);
    const one = await postReview(t, first, { doctorId: doctor.profileId, rating: 5, comment: 'Kind and clear' });
    const two = await postReview(t, second, { doctorId: doctor.profileId, rating: 3 });
    // A refused second review by the same patient sends nothing.
    const refused = await http().post('doctor/reviews', { doctorId: doctor.profileId, rating: 1 }, { headers: first.headers });
    expect(refused.statusCode).toBe(409);

    await waitUntil('two review events', () => reviews.received.length === 2);
    await drainJobs(t);
    expect(reviews.received).toHaveLength(2);
    const events = reviews.received.map((webhook) => verified(endpoint.secret, webhook));
    expect(events).toEqual([
      { id: expect.stringMatching(/^evt_/), type: 'review.created', createdAt: expect.any(String), data: one },
      { id: expect.stringMatching(/^evt_/), type: 'review.created', createdAt: expect.any(String), data: two },
    ]);
    expect(applications.received).toHaveLength(0);
  });

  it('sends doctor_application.submitted and .decided with the application as answered', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: applications.url, events: ['doctor_application.submitted', 'doctor_application.decided'] });
    const spec = await createSpecialization(t.db);
    const desig = await createDesignation(t.db);
    const applicant = await loginAs(t, 'patient');
    const before = applications.received.length;
    const submitted = await http().post(
      'operations/apply/to-be/doctor',
      { licenseNumber: `LIC-${randomUUID().slice(0, 6)}`, bio: 'Ten years of care', specializationIds: [spec.id], designationIds: [desig.id], yearsOfExperience: 10 },
      { headers: applicant.headers },
    );
    expect(submitted.statusCode, submitted.body).toBe(201);
    const decided = await http().patch(`operations/applications/${submitted.json<{ id: string }>().id}`, { status: 'approved', note: 'Welcome' }, { headers: admin.headers });
    expect(decided.statusCode, decided.body).toBe(200);
    // Deciding twice is refused and sends nothing more.
    expect((await http().patch(`operations/applications/${submitted.json<{ id: string }>().id}`, { status: 'rejected' }, { headers: admin.headers })).statusCode).toBe(422);

    await waitUntil('two application events', () => applications.received.length === before + 2);
    await drainJobs(t);
    const events = applications.received.slice(before).map((webhook) => verified(endpoint.secret, webhook) as { type: string; data: unknown });
    expect(events.map((event) => event.type)).toEqual(['doctor_application.submitted', 'doctor_application.decided']);
    expect(events[0]!.data).toEqual(submitted.json());
    expect(events[1]!.data).toEqual(decided.json());
    expect(applications.received).toHaveLength(before + 2);
  });
});
