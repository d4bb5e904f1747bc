// The admin patient search's snapshot in the read cache (issue 19 item 7): every write that changes
// which patients match a search, or their order, shows in the next admin search at once, in memory
// and across two instances on one Redis; doctors' searches never come from it; pages past it go on
// in the same order; its Redis keys and entries never hold the term.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheReads } from '../../../src/lib/cache.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { registerAndActivate } from '../../helpers/accounts.ts';
import { useTestApp, type TestApp } from '../../helpers/app.ts';
import { API } from '../../helpers/http.ts';
import { TEST_REDIS_URL, describeWithRedis } from '../../helpers/redis.ts';
import { createAppointment } from '../../helpers/scheduling.ts';

interface Page {
  count: number;
  countIsEstimate?: true;
  results: { id: string; user: { id: string; email: string; firstName: string; lastName: string } }[];
}

const PATIENTS = `${API}/patient/patients`;
const unique = () => randomUUID().replaceAll('-', '').slice(0, 10);

async function search(t: TestApp, caller: Actor, term: string, query = ''): Promise<Page> {
  const response = await t.app.inject({ method: 'GET', url: `${PATIENTS}/?search=${encodeURIComponent(term)}${query}`, headers: caller.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
}

const userIdsOf = (page: Page) => page.results.map((patient) => patient.user.id);

async function hits(): Promise<number> {
  return (await cacheReads.get()).values.find((value) => value.labels.outcome === 'hit')?.value ?? 0;
}

/** Searches `term` twice as `admin` on `reader`: the second answer came from the snapshot the first stored. */
async function searchCached(reader: TestApp, admin: Actor, term: string): Promise<Page> {
  await search(reader, admin, term);
  const before = await hits();
  const page = await search(reader, admin, term);
  expect(await hits()).toBeGreaterThan(before);
  return page;
}

/**
 * Each write path that changes an admin search's matches or order, made on `writer`, and the next
 * admin search on `reader` (the same app, or another instance on the same Redis).
 */
function writePathTests(apps: () => { writer: TestApp; reader: TestApp }) {
  let writer: TestApp;
  let reader: TestApp;
  let admin: Actor<'admin'>;

  beforeAll(async () => {
    ({ writer, reader } = apps());
    admin = await loginAs(reader, 'admin');
  });

  const patch = async (path: string, actor: Actor, payload: Record<string, unknown>) => {
    const response = await writer.app.inject({ method: 'PATCH', url: `${API}/${path}`, headers: actor.headers, payload });
    expect(response.statusCode, response.body).toBe(200);
  };

  it('a patient registered and activated is found at once', async () => {
    const term = `Reg${unique()}`;
    expect((await searchCached(reader, admin, term)).count).toBe(0);
    const account = await registerAndActivate(writer, undefined, undefined, { firstName: term });
    const page = await search(reader, admin, term);
    expect(page).toMatchObject({ count: 1 });
    expect(userIdsOf(page)).toEqual([account.id]);
  });

  it('a first name changed on the patient profile comes into a search, then leaves it', async () => {
    const term = `Ren${unique()}`;
    const patient = await loginAs(writer, 'patient', { firstName: 'Plain', lastName: `Other${unique()}` });
    expect(userIdsOf(await searchCached(reader, admin, term))).toEqual([]);
    await patch('patient/patients/me/', patient, { firstName: `${term}x` });
    expect(userIdsOf(await searchCached(reader, admin, term))).toEqual([patient.user.id]);
    await patch('patient/patients/me/', patient, { firstName: 'Plain' });
    expect(await search(reader, admin, term)).toMatchObject({ count: 0, results: [] });
  });

  it('a last name changed on the account (user/me) reorders a search at once', async () => {
    const term = `Ord${unique()}`;
    const first = await loginAs(writer, 'patient', { firstName: term, lastName: 'Bianchi' });
    const second = await loginAs(writer, 'patient', { firstName: term, lastName: 'Conti' });
    expect(userIdsOf(await searchCached(reader, admin, term))).toEqual([first.user.id, second.user.id]);
    await patch('user/me/', second, { lastName: 'Amato' });
    const page = await search(reader, admin, term);
    expect(userIdsOf(page)).toEqual([second.user.id, first.user.id]);
    expect(page.results[0]!.user.lastName).toBe('Amato');
  });

  it('an erased account leaves searches by name and by email at once', async () => {
    const term = `Era${unique()}`;
    const patient = await loginAs(writer, 'patient', { firstName: term });
    expect(userIdsOf(await searchCached(reader, admin, term))).toEqual([patient.user.id]);
    expect(userIdsOf(await searchCached(reader, admin, patient.user.email))).toEqual([patient.user.id]);
    const erased = await writer.app.inject({ method: 'DELETE', url: `${PATIENTS}/me/`, headers: patient.headers });
    expect(erased.statusCode, erased.body).toBe(204);
    expect(await search(reader, admin, term)).toMatchObject({ count: 0, results: [] });
    expect(await search(reader, admin, patient.user.email)).toMatchObject({ count: 0, results: [] });
  });

  it('a doctor’s search is never answered from an admin’s snapshot', async () => {
    const term = `Doc${unique()}`;
    const patients = await Promise.all([1, 2, 3].map(() => loginAs(writer, 'patient', { firstName: term })));
    const [d1, d2] = await Promise.all([loginAs(reader, 'doctor'), loginAs(reader, 'doctor')]);
    await createAppointment(writer.db, d1.profileId, patients[0]!.profileId);
    await createAppointment(writer.db, d1.profileId, patients[1]!.profileId);
    await createAppointment(writer.db, d2.profileId, patients[2]!.profileId);
    expect((await searchCached(reader, admin, term)).count).toBe(3);
    expect((await search(reader, d1, term)).results.map((p) => p.id).sort()).toEqual([patients[0]!.profileId, patients[1]!.profileId].sort());
    expect((await search(reader, d2, term)).results.map((p) => p.id)).toEqual([patients[2]!.profileId]);
    expect((await search(reader, admin, term)).count).toBe(3);
  });
}

describe('admin patient search snapshot, in memory', () => {
  const t = useTestApp();
  writePathTests(() => ({ writer: t, reader: t }));

  it('a row changed outside the app’s writes leaves the page at once (the re-check) and the count within 60 s', async () => {
    const term = `Out${unique()}`;
    const kept = await loginAs(t, 'patient', { firstName: term, lastName: 'Abbott' });
    const changed = await loginAs(t, 'patient', { firstName: term, lastName: 'Baker' });
    const admin = await loginAs(t, 'admin');
    expect(userIdsOf(await searchCached(t, admin, term))).toEqual([kept.user.id, changed.user.id]);
    // By hand in SQL: no reference is bumped.
    await t.db.user.update({ where: { id: changed.user.id }, data: { firstName: 'Elsewhere' } });
    const page = await search(t, admin, term);
    expect(userIdsOf(page)).toEqual([kept.user.id]);
    expect(page.count).toBe(2); // the snapshot's, until it expires
    try {
      t.clock.advance(60_000);
      expect(await search(t, admin, term)).toMatchObject({ count: 1 });
    } finally {
      t.clock.reset();
    }
  });

  it('pages within the snapshot and past it (and across its end) follow one order, with the exact count', async () => {
    const term = `Snap${unique()}`;
    // More matches than the snapshot keeps (1,000), with ties on both names.
    await t.db.$executeRaw`
      WITH inserted AS (
        INSERT INTO users (id, email, password_hash, first_name, last_name, role, is_active, updated_at)
        SELECT gen_random_uuid(), ${term.toLowerCase()} || '-' || g || '@example.com', 'x', 'F' || (g % 13), ${term} || (g % 7), 'patient', true, now()
          FROM generate_series(1, 1050) g
        RETURNING id)
      INSERT INTO patients (id, user_id, updated_at) SELECT gen_random_uuid(), id, now() FROM inserted`;
    const expected = (
      await t.db.$queryRaw<{ id: string }[]>`
        SELECT p.id::text AS id FROM patients p JOIN users u ON u.id = p.user_id
         WHERE u.last_name LIKE ${`${term}%`} ORDER BY u.last_name, u.first_name, p.id`
    ).map((row) => row.id);
    expect(expected).toHaveLength(1050);
    const admin = await loginAs(t, 'admin');
    const listed: string[] = [];
    for (let page = 1; page <= 11; page += 1) {
      const answer = await search(t, admin, term, `&pageSize=100&page=${page}`);
      expect(answer.count).toBe(1050);
      expect(answer).not.toHaveProperty('countIsEstimate');
      listed.push(...answer.results.map((p) => p.id));
    }
    expect(listed).toEqual(expected);
    // Rows 991 to 1,020: partly past the snapshot.
    expect((await search(t, admin, term, '&pageSize=30&page=34')).results.map((p) => p.id)).toEqual(expected.slice(990, 1020));
    expect(await search(t, admin, term, '&pageSize=100&page=12')).toMatchObject({ count: 1050, results: [] });
  });
});

describeWithRedis('admin patient search snapshot, two instances on one Redis', () => {
  // One deployment: the instances share the secret (and so the snapshot's key) and the database.
  const secret = randomBytes(32).toString('hex');
  const a = useTestApp({ env: { REDIS_URL: TEST_REDIS_URL, SECRET_KEY: secret } });
  const b = useTestApp(() => ({ databaseUrl: a.config.database.url, env: { REDIS_URL: TEST_REDIS_URL, SECRET_KEY: secret, WORKER_ENABLED: 'false' } }));
  writePathTests(() => ({ writer: a, reader: b }));

  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(() => redis.quit());

  it('B answers from the snapshot A stored', async () => {
    const term = `Shared${unique()}`;
    const patient = await loginAs(a, 'patient', { firstName: term });
    const adminOnA = await loginAs(a, 'admin');
    expect(userIdsOf(await searchCached(a, adminOnA, term))).toEqual([patient.user.id]);
    const before = await hits();
    expect(userIdsOf(await search(b, adminOnA, term))).toEqual([patient.user.id]);
    expect(await hits()).toBe(before + 1);
  });

  it('neither the Redis keys nor the entries hold the search term', async () => {
    const term = `Secret${unique()}`;
    await loginAs(a, 'patient', { lastName: term });
    const admin = await loginAs(b, 'admin');
    expect((await searchCached(b, admin, term)).count).toBe(1);
    const keys = await redis.keys('clinic-cache:*');
    const snapshots = keys.filter((key) => key.includes('patient-search'));
    expect(snapshots.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.toLowerCase()).not.toContain(term.toLowerCase());
    for (const key of snapshots) expect((await redis.get(key))?.toLowerCase()).not.toContain(term.toLowerCase());
  });
});
