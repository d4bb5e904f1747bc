// Reviews: who may review (completed appointment, one per doctor), public reads, edits and deletes by the author or an admin,
// anonymised erased reviewers, hostile input, and the doctor's rating kept exact under 20 concurrent changes.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { postReview, ratingOf, reviewerOf, type ReviewBody } from '../../helpers/reviews.ts';
import { createAppointment } from '../../helpers/scheduling.ts';

const REVIEWS = `${API}/doctor/reviews`;

const t = useTestApp();
let admin: Actor<'admin'>;
let doctorA: Actor<'doctor'>;
let doctorB: Actor<'doctor'>;

beforeAll(async () => {
  admin = await loginAs(t, 'admin');
  doctorA = await loginAs(t, 'doctor', { firstName: 'Alma' });
  doctorB = await loginAs(t, 'doctor', { firstName: 'Bert' });
});

const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET', path: string, caller?: { headers: Record<string, string> }, payload?: unknown) =>
  t.app.inject({ method, url: `${REVIEWS}/${path}`, ...(caller ? { headers: caller.headers } : {}), ...(payload === undefined ? {} : { payload: payload as object }) });

interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: ReviewBody[];
}

describe('POST doctor/reviews/', () => {
  it('a patient with a completed appointment reviews once: 201, first name only, the doctor’s rating follows; a second is 409', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId], { firstName: 'Quinn' });
    const response = await send('POST', '', patient, { doctorId: doctor.profileId, rating: 4, comment: 'Kind and thorough.\nWould come back.\tThanks' });
    expect(response.statusCode, response.body).toBe(201);
    const review = response.json<ReviewBody>();
    expect(review).toEqual({
      id: expect.any(String),
      doctorId: doctor.profileId,
      reviewer: { firstName: 'Quinn' },
      rating: 4,
      comment: 'Kind and thorough.\nWould come back.\tThanks',
      createdAt: expect.any(String),
    });
    expect(response.body).not.toContain(patient.user.email);
    expect(response.body).not.toContain('User'); // the factory's last name
    const profile = await t.app.inject({ method: 'GET', url: `${API}/doctor/profile/${doctor.user.email}` });
    expect(profile.json<{ rating: unknown }>().rating).toEqual({ average: 4, count: 1 });

    expectProblem(await send('POST', '', patient, { doctorId: doctor.profileId, rating: 5 }), 409, 'conflict');
    expect(await t.db.review.count({ where: { doctorId: doctor.profileId } })).toBe(1);
  });

  it('five concurrent reviews of one doctor by one patient: one 201, four 409', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId]);
    const answers = await Promise.all(Array.from({ length: 5 }, () => send('POST', '', patient, { doctorId: doctor.profileId, rating: 3 })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.statusCode === 409)) expectProblem(answer, 409, 'conflict');
    expect((await ratingOf(t.db, doctor.profileId)).stored).toEqual({ average: '3.00', count: 1 });
  });

  it('403 without a completed appointment with that doctor (none, pending, cancelled, another doctor’s, unknown doctor)', async () => {
    const patient = await reviewerOf(t, [doctorB.profileId]);
    expectProblem(await send('POST', '', patient, { doctorId: doctorA.profileId, rating: 5 }), 403, 'forbidden');
    for (const status of ['pending', 'confirmed', 'cancelled', 'no_show'] as const) {
      const other = await loginAs(t, 'patient');
      const appointment = await createAppointment(t.db, doctorA.profileId, other.profileId, new Date(Date.now() + 86_400_000 * 30 + Math.random() * 1e9));
      await t.db.appointment.update({ where: { id: appointment.id }, data: { status } });
      expectProblem(await send('POST', '', other, { doctorId: doctorA.profileId, rating: 5 }), 403, 'forbidden');
    }
    expectProblem(await send('POST', '', patient, { doctorId: randomUUID(), rating: 5 }), 403, 'forbidden');
    expect(await t.db.review.count({ where: { patientId: patient.profileId } })).toBe(0);
  });

  it('is for patients: 401 anonymous or with a bad token, 403 doctors and admins', async () => {
    const payload = { doctorId: doctorA.profileId, rating: 5 };
    expectProblem(await send('POST', '', undefined, payload), 401, 'unauthorized');
    expectProblem(await send('POST', '', { headers: { authorization: 'Bearer nope' } }, payload), 401, 'token_invalid');
    expectProblem(await send('POST', '', doctorB, payload), 403, 'forbidden');
    expectProblem(await send('POST', '', admin, payload), 403, 'forbidden');
  });

  it('refuses bad ratings, hostile or long comments, unknown and read-only fields with 400 naming the field', async () => {
    const patient = await reviewerOf(t, [doctorA.profileId]);
    const ok = { doctorId: doctorA.profileId, rating: 5 };
    for (const rating of [0, 6, 4.5, '5', null, -1, 1e9]) expectFieldError(await send('POST', '', patient, { ...ok, rating }), 'rating');
    expectFieldError(await send('POST', '', patient, { doctorId: doctorA.profileId }), 'rating');
    for (const comment of ['nul\u0000byte', 'bell\u0007', 'esc\u001b[31m', 'del\u007f', 'x'.repeat(2001), 42]) {
      expectFieldError(await send('POST', '', patient, { ...ok, comment }), 'comment');
    }
    for (const doctorId of ['not-a-uuid', '', "1' OR '1'='1", undefined]) expectFieldError(await send('POST', '', patient, { ...ok, doctorId }), 'doctorId');
    for (const field of ['patientId', 'createdAt', 'id', 'reviewer']) expectFieldError(await send('POST', '', patient, { ...ok, [field]: 'x' }), field);
    expectProblem(await t.app.inject({ method: 'POST', url: `${REVIEWS}/`, headers: { ...patient.headers, 'content-type': 'application/json' }, payload: '{"rating":' }), 400, 'validation_failed');
    expect(await t.db.review.count({ where: { patientId: patient.profileId } })).toBe(0);
  });
});

describe('GET doctor/reviews/ and doctor/reviews/{id}/', () => {
  it('lists newest first, filters by doctorId, pages with absolute links; detail is public', async () => {
    const doctor = await loginAs(t, 'doctor');
    const made: ReviewBody[] = [];
    for (const [index, name] of ['Ann', 'Ben', 'Cid'].entries()) {
      const patient = await reviewerOf(t, [doctor.profileId], { firstName: name });
      made.push(await postReview(t, patient, { doctorId: doctor.profileId, rating: index + 3 }));
      t.clock.advance(1000);
    }
    const first = (await send('GET', `?doctorId=${doctor.profileId}&pageSize=2`)).json<Page>();
    expect(first.count).toBe(3);
    expect(first.results.map((r) => r.reviewer.firstName)).toEqual(['Cid', 'Ben']);
    expect(new URL(first.next!).searchParams.get('doctorId')).toBe(doctor.profileId);
    const second = (await t.app.inject({ method: 'GET', url: new URL(first.next!).pathname + new URL(first.next!).search })).json<Page>();
    expect(second.results.map((r) => r.reviewer.firstName)).toEqual(['Ann']);
    expect(second.next).toBeNull();
    const beyond = (await send('GET', `?doctorId=${doctor.profileId}&page=9`)).json<Page>();
    expect(beyond).toMatchObject({ count: 3, results: [], next: null });

    const all = (await send('GET', '?pageSize=100')).json<Page>();
    expect(all.results.map((r) => r.id)).toEqual(expect.arrayContaining(made.map((r) => r.id)));
    const times = all.results.map((r) => Date.parse(r.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const detail = await send('GET', `${made[1]!.id}/`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toEqual(made[1]);
    expect((await t.app.inject({ method: 'GET', url: `${REVIEWS}/${made[1]!.id}` })).statusCode).toBe(200); // no trailing slash
    expect((await send('GET', '?doctorId=' + randomUUID())).json<Page>()).toMatchObject({ count: 0, results: [] });
  });

  it('hides reviews of hidden doctors from the list and the detail', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId]);
    const review = await postReview(t, patient, { doctorId: doctor.profileId, rating: 2 });
    expect(await t.app.inject({ method: 'DELETE', url: `${API}/doctor/profile/me/`, headers: doctor.headers })).toMatchObject({ statusCode: 204 });
    expect((await send('GET', `?doctorId=${doctor.profileId}`)).json<Page>().count).toBe(0);
    expectProblem(await send('GET', `${review.id}/`), 404, 'not_found');
  });

  it('answers 404 for unknown ids and 400 for bad ids, paging and control characters', async () => {
    expectProblem(await send('GET', `${randomUUID()}/`), 404, 'not_found');
    expectProblem(await send('GET', 'not-a-uuid/'), 400, 'validation_failed');
    for (const query of ['doctorId=nope', 'page=0', 'pageSize=101', 'page=abc', 'doctorId=%00']) {
      expectProblem(await send('GET', `?${query}`), 400, 'validation_failed');
    }
  });
});

describe('PUT/PATCH/DELETE doctor/reviews/{id}/', () => {
  it('the author replaces and patches; the rating follows; an omitted comment becomes empty on PUT only', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId]);
    const review = await postReview(t, patient, { doctorId: doctor.profileId, rating: 1, comment: 'Late.' });
    const patched = await send('PATCH', `${review.id}/`, patient, { comment: 'Late, but kind.' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ rating: 1, comment: 'Late, but kind.', createdAt: review.createdAt });
    const put = await send('PUT', `${review.id}/`, patient, { rating: 5 });
    expect(put.json()).toMatchObject({ id: review.id, rating: 5, comment: '' });
    expect(await ratingOf(t.db, doctor.profileId)).toEqual({ stored: { average: '5.00', count: 1 }, recount: { average: '5.00', count: 1 } });
    expectFieldError(await send('PUT', `${review.id}/`, patient, { comment: 'no rating' }), 'rating');
    expectFieldError(await send('PATCH', `${review.id}/`, patient, { doctorId: doctorA.profileId }), 'doctorId');
    expectFieldError(await send('PATCH', `${review.id}/`, patient, { rating: 7 }), 'rating');
    expectFieldError(await send('PATCH', `${review.id}/`, patient, { comment: 'a\u0000b' }), 'comment');
  });

  it('two patients, two doctors: another patient’s or a doctor’s edit or delete is 404; anonymous 401', async () => {
    const [p1, p2] = [await reviewerOf(t, [doctorA.profileId, doctorB.profileId]), await reviewerOf(t, [doctorA.profileId, doctorB.profileId])];
    const r1 = await postReview(t, p1, { doctorId: doctorA.profileId, rating: 4 });
    const r2 = await postReview(t, p2, { doctorId: doctorB.profileId, rating: 2 });
    for (const [caller, review] of [[p2, r1], [p1, r2], [doctorA, r1], [doctorB, r2], [doctorA, r2]] as const) {
      expectProblem(await send('PATCH', `${review.id}/`, caller, { rating: 1 }), 404, 'not_found');
      expectProblem(await send('PUT', `${review.id}/`, caller, { rating: 1 }), 404, 'not_found');
      expectProblem(await send('DELETE', `${review.id}/`, caller), 404, 'not_found');
    }
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      expectProblem(await send(method, `${r1.id}/`, undefined, method === 'DELETE' ? undefined : { rating: 1 }), 401, 'unauthorized');
    }
    expectProblem(await send('PATCH', `${randomUUID()}/`, p1, { rating: 1 }), 404, 'not_found');
    expect(await t.db.review.findUniqueOrThrow({ where: { id: r1.id }, select: { rating: true } })).toEqual({ rating: 4 });
    expect(await t.db.review.findUniqueOrThrow({ where: { id: r2.id }, select: { rating: true } })).toEqual({ rating: 2 });
  });

  it('admins edit and delete any review; DELETE is 204 and the rating is recounted (null with no reviews)', async () => {
    const doctor = await loginAs(t, 'doctor');
    const [p1, p2] = [await reviewerOf(t, [doctor.profileId]), await reviewerOf(t, [doctor.profileId])];
    const r1 = await postReview(t, p1, { doctorId: doctor.profileId, rating: 4 });
    const r2 = await postReview(t, p2, { doctorId: doctor.profileId, rating: 1 });
    expect((await ratingOf(t.db, doctor.profileId)).stored).toEqual({ average: '2.50', count: 2 });
    expect((await send('PATCH', `${r2.id}/`, admin, { comment: 'Removed by moderation.' })).json()).toMatchObject({ rating: 1, comment: 'Removed by moderation.' });
    const deleted = await send('DELETE', `${r2.id}/`, admin);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectProblem(await send('GET', `${r2.id}/`), 404, 'not_found');
    expect((await ratingOf(t.db, doctor.profileId)).stored).toEqual({ average: '4.00', count: 1 });
    expect((await send('DELETE', `${r1.id}`, p1)).statusCode).toBe(204);
    expect((await ratingOf(t.db, doctor.profileId)).stored).toEqual({ average: null, count: 0 });
    expectProblem(await send('DELETE', `${r1.id}/`, p1), 404, 'not_found');
    // Deleted, the patient may review again.
    await postReview(t, p1, { doctorId: doctor.profileId, rating: 3 });
  });

  it('an erased patient’s review stays, anonymised, and the rating does not change', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await reviewerOf(t, [doctor.profileId], { firstName: 'Erin' });
    const review = await postReview(t, patient, { doctorId: doctor.profileId, rating: 2, comment: 'Fine.' });
    const before = await ratingOf(t.db, doctor.profileId);
    expect((await t.app.inject({ method: 'DELETE', url: `${API}/patient/patients/me/`, headers: patient.headers })).statusCode).toBe(204);
    const after = await send('GET', `${review.id}/`);
    expect(after.json()).toEqual({ ...review, reviewer: { firstName: 'Anonymous' } });
    expect(after.body).not.toContain('Erin');
    expect((await send('GET', `?doctorId=${doctor.profileId}`)).json<Page>().results[0]!.reviewer).toEqual({ firstName: 'Anonymous' });
    expect(await ratingOf(t.db, doctor.profileId)).toEqual(before);
  });
});

describe('the doctor’s rating', () => {
  it('stays exact under 20 concurrent creates, edits and deletes of one doctor’s reviews', async () => {
    const doctor = await loginAs(t, 'doctor');
    // 12 reviews to start with; 8 more patients who have not reviewed yet.
    const existing = await Promise.all(Array.from({ length: 12 }, () => reviewerOf(t, [doctor.profileId])));
    const fresh = await Promise.all(Array.from({ length: 8 }, () => reviewerOf(t, [doctor.profileId])));
    const reviews: ReviewBody[] = [];
    for (const [index, patient] of existing.entries()) reviews.push(await postReview(t, patient, { doctorId: doctor.profileId, rating: (index % 5) + 1 }));
    expect((await ratingOf(t.db, doctor.profileId)).stored.count).toBe(12);

    const operations = [
      ...fresh.map((patient, index) => () => send('POST', '', patient, { doctorId: doctor.profileId, rating: (index % 3) + 3 })),
      ...existing.slice(0, 6).map((patient, index) => () => send('PATCH', `${reviews[index]!.id}/`, patient, { rating: 5 - (index % 5) })),
      ...existing.slice(6).map((patient, index) => () => send('DELETE', `${reviews[index + 6]!.id}/`, index % 2 ? admin : patient)),
    ];
    expect(operations).toHaveLength(20);
    const answers = await Promise.all(operations.map((operation) => operation()));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([...Array(8).fill(201), ...Array(6).fill(200), ...Array(6).fill(204)].sort());

    const { stored, recount } = await ratingOf(t.db, doctor.profileId);
    expect(recount.count).toBe(14);
    expect(stored).toEqual(recount);
    const profile = await t.app.inject({ method: 'GET', url: `${API}/doctor/profile/${doctor.user.email}` });
    expect(profile.json<{ rating: { average: number; count: number } }>().rating).toEqual({ average: Number(recount.average), count: 14 });
  });

  it('ordering by rating puts unrated doctors last both ways, in doctor/list/ and public-portal/list/doctor/', async () => {
    const tag = `Rated${randomUUID().slice(0, 8)}`;
    const [low, high, unrated] = [
      await loginAs(t, 'doctor', { lastName: tag, firstName: 'Low' }),
      await loginAs(t, 'doctor', { lastName: tag, firstName: 'High' }),
      await loginAs(t, 'doctor', { lastName: tag, firstName: 'None' }),
    ];
    const patient = await reviewerOf(t, [low.profileId, high.profileId]);
    await postReview(t, patient, { doctorId: low.profileId, rating: 2 });
    await postReview(t, patient, { doctorId: high.profileId, rating: 5 });
    expect(unrated).toBeDefined();
    for (const base of ['doctor/list', 'public-portal/list/doctor']) {
      const names = async (ordering: string) =>
        (await t.app.inject({ method: 'GET', url: `${API}/${base}/?search=${tag}&ordering=${ordering}` }))
          .json<{ results: { user: { firstName: string }; rating: unknown }[] }>()
          .results.map((d) => d.user.firstName);
      expect(await names('rating')).toEqual(['Low', 'High', 'None']);
      expect(await names('-rating')).toEqual(['High', 'Low', 'None']);
    }
  });
});
