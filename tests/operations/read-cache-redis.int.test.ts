// The read cache in Redis, shared by two instances on one database (issue 19): a write on A is
// seen by a read on B at once, 200 times over random writes (profile edits, reviews, bookings that
// take free slots, cancellations); and the race a delete-on-write cache loses, across two Redis clients.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheNamespace, cacheOf, cacheReads, cacheRedisCommands, createReadCache, redisCacheStore } from '../../src/lib/cache.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { loginAs, type Actor } from '../helpers/actors.ts';
import { useTestApp, useTestDatabase, type TestApp } from '../helpers/app.ts';
import { API } from '../helpers/http.ts';
import { TEST_REDIS_URL, describeWithRedis } from '../helpers/redis.ts';
import { reviewerOf } from '../helpers/reviews.ts';
import { addDailyWindows, call, localDate, type Slot } from '../helpers/scheduling.ts';
import { waitUntil } from '../helpers/wait.ts';

const ITERATIONS = 200;
const FROM = localDate(2);
const TO = localDate(8);

async function outcomeCount(outcome: string): Promise<number> {
  return (await cacheReads.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

describeWithRedis('read cache in Redis: two instances on one database', () => {
  const a = useTestApp({ env: { REDIS_URL: TEST_REDIS_URL } });
  const b = useTestApp(() => ({ databaseUrl: a.config.database.url, env: { REDIS_URL: TEST_REDIS_URL, WORKER_ENABLED: 'false' } }));
  // The same database read with no cache: what B must answer.
  const truth = useTestApp(() => ({ databaseUrl: a.config.database.url, env: { CACHE_ENABLED: 'false', WORKER_ENABLED: 'false' } }));
  let doctors: Actor<'doctor'>[];
  let patients: Actor<'patient'>[];

  beforeAll(async () => {
    doctors = [];
    for (let i = 0; i < 4; i += 1) doctors.push(await loginAs(a, 'doctor', { lastName: `Shared${i}` }));
    for (const doctor of doctors) await addDailyWindows(a.db, doctor.profileId, '08:00', '18:00', 30);
    // Each may review every doctor (a completed appointment with each) and book.
    patients = [];
    for (let i = 0; i < 8; i += 1) patients.push(await reviewerOf(a, doctors.map((doctor) => doctor.profileId), { firstName: `Reviewer${i}` }));
  });

  const reads = (doctor: Actor<'doctor'>) => [
    `doctor/profile/${doctor.user.email}`,
    `doctor/list/?search=Shared&ordering=-rating`,
    `doctor/reviews/?doctorId=${doctor.profileId}`,
    `doctor/available-times-patient/?doctorId=${doctor.profileId}&from=${FROM}&to=${TO}`,
  ];
  const answer = async (t: TestApp, path: string) => {
    const response = await t.app.inject({ method: 'GET', url: `${API}/${path}` });
    return `${response.statusCode} ${response.body}`;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
  const succeeded = <R extends { statusCode: number; body: string }>(response: R): R => {
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response;
  };

  /** One random write on A: answers the doctor whose public answers it changed. */
  async function randomWrite(booked: Map<string, { patient: Actor<'patient'>; doctor: Actor<'doctor'> }>): Promise<Actor<'doctor'>> {
    const doctor = pick(doctors);
    const patient = pick(patients);
    const kind = pick(['edit', 'review', 'book', 'book', 'cancel'] as const);
    if (kind === 'edit') {
      succeeded(await call(a.app, 'PATCH', 'doctor/profile/me/', { headers: doctor.headers, payload: { bio: `Bio ${randomUUID()}`, fee: `${10 + Math.floor(Math.random() * 90)}.00` } }));
    } else if (kind === 'review') {
      const existing = await a.db.review.findFirst({ where: { doctorId: doctor.profileId, patientId: patient.profileId }, select: { id: true } });
      if (existing) succeeded(await call(a.app, 'DELETE', `doctor/reviews/${existing.id}/`, { headers: patient.headers }));
      else succeeded(await call(a.app, 'POST', 'doctor/reviews/', { headers: patient.headers, payload: { doctorId: doctor.profileId, rating: 1 + Math.floor(Math.random() * 5) } }));
    } else if (kind === 'book' || booked.size === 0) {
      // A slot B offers right now.
      const slots = JSON.parse((await answer(b, reads(doctor)[3]!)).slice(4)) as Slot[];
      const response = await call(a.app, 'POST', 'appointment/patient/', { headers: patient.headers, payload: { doctorId: doctor.profileId, startsAt: pick(slots).startsAt, type: 'online' } });
      if (response.statusCode === 422) return randomWrite(booked); // the patient's limit with this doctor: another write
      succeeded(response);
      booked.set(response.json<{ id: string }>().id, { patient, doctor });
    } else {
      const [id, booking] = pick([...booked.entries()]);
      booked.delete(id);
      succeeded(await call(a.app, 'POST', `appointment/patient/${id}/cancel/`, { headers: booking.patient.headers, payload: {} }));
      return booking.doctor;
    }
    return doctor;
  }

  it(`${ITERATIONS} random writes on A: each read on B right after answers what the database holds`, async () => {
    const booked = new Map<string, { patient: Actor<'patient'>; doctor: Actor<'doctor'> }>();
    // Warm B's cache.
    for (const doctor of doctors) for (const path of reads(doctor)) await answer(b, path);
    const hitsBefore = await outcomeCount('hit');
    for (let i = 0; i < ITERATIONS; i += 1) {
      const changed = await randomWrite(booked);
      // Every doctor's answers: the changed one's must show the write, the others' must stay right.
      for (const doctor of [changed, pick(doctors)]) {
        for (const path of reads(doctor)) {
          const [onB, inDatabase] = [await answer(b, path), await answer(truth, path)];
          expect(onB, `iteration ${i}, ${path}`).toBe(inDatabase);
        }
      }
    }
    // B answered from the shared cache, not around it.
    expect(await outcomeCount('hit')).toBeGreaterThan(hitsBefore + ITERATIONS);
  }, 300_000); // ~2,000 requests: about 20 s alone, much longer on a loaded machine

  it('a booking taken on A leaves B’s free slots at once; its cancellation brings it back', async () => {
    const doctor = doctors[0]!;
    const patient = await loginAs(a, 'patient');
    const path = reads(doctor)[3]!;
    const before = JSON.parse((await answer(b, path)).slice(4)) as Slot[];
    const slot = before.at(-1)!;
    const booked = succeeded(await call(a.app, 'POST', 'appointment/patient/', { headers: patient.headers, payload: { doctorId: doctor.profileId, startsAt: slot.startsAt, type: 'online' } }));
    expect(JSON.parse((await answer(b, path)).slice(4))).not.toContainEqual(slot);
    succeeded(await call(a.app, 'POST', `appointment/patient/${booked.json<{ id: string }>().id}/cancel/`, { headers: patient.headers, payload: {} }));
    expect(JSON.parse((await answer(b, path)).slice(4))).toContainEqual(slot);
  });
});

describeWithRedis('read cache in Redis: the store', () => {
  const database = useTestDatabase();
  const other = useTestDatabase();
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });
  const logger = { warn: () => {}, error: () => {} };
  /** Two instances' caches: each its own Redis connection, one namespace. */
  const instances = (namespace: string) =>
    [0, 1].map(() => {
      const client = new Redis(TEST_REDIS_URL);
      clients.push(client);
      return createReadCache({ store: redisCacheStore(client, namespace), ttlSeconds: 60, clock: systemClock, logger });
    });

  it('a reader on B that loaded old rows before a write on A committed never serves them after the write', async () => {
    const [onA, onB] = instances(`test-${randomUUID()}`);
    const read = { key: 'doctor-page:race', refs: ['doctors'] };
    let release: ((rows: string) => void) | undefined;
    const slowRead = onB!.read(read, () => new Promise<string>((resolve) => (release = resolve)));
    await waitUntil('B loading', () => release !== undefined); // B's lookup has answered: it queries the database
    await onA!.invalidate(['doctors']); // the write commits and invalidates
    release!('old rows'); // ...then B's query, begun before, answers and is stored
    expect(await slowRead).toBe('old rows');
    expect(await onB!.read(read, async () => 'new rows')).toBe('new rows');
    expect(await onA!.read(read, async () => 'newer rows')).toBe('new rows');
  });

  it('with CACHE_ENABLED=false a process still invalidates what it writes (it only stops reading)', async () => {
    const namespace = `test-${randomUUID()}`;
    const [reader] = instances(namespace);
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    const disabled = cacheOf({ cache: { enabled: false, ttlSeconds: 60 }, workerEnabled: false }, { redis: { client, namespace }, clock: systemClock, logger });
    const read = { key: 'services', refs: ['services'] };
    expect(await reader!.read(read, async () => 'before')).toBe('before');
    let loads = 0;
    expect(await disabled.read(read, async () => `loaded ${++loads}`)).toBe('loaded 1');
    expect(await disabled.read(read, async () => `loaded ${++loads}`)).toBe('loaded 2');
    await disabled.invalidate(['services']);
    expect(await reader!.read(read, async () => 'after')).toBe('after');
  });

  it('an instance serves its own copy while Redis confirms its generations, and never past a bump or the entry’s expiry', async () => {
    const namespace = `test-${randomUUID()}`;
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    const store = redisCacheStore(client, namespace);
    const lookup = () => store.lookup('services', ['services']);
    const { generations } = await lookup();
    await store.store('services', generations, '\nfirst', 60_000);
    const stored = `clinic-cache:${namespace}:services@${generations}`;
    const copy = (await lookup()).entry;
    expect(copy?.toString()).toBe('\nfirst');
    // The body stays in Redis: what the instance serves is its copy (changed behind its back here
    // only to tell the two apart; an entry of one generation is never rewritten).
    await client.set(stored, '\nrewritten', 'PX', 60_000);
    expect((await lookup()).entry).toBe(copy);
    // The entry expired (or was evicted) in Redis: the copy is not served either.
    await client.del(stored);
    expect((await lookup()).entry).toBeNull();
    await store.store('services', generations, '\nsecond', 60_000);
    expect((await lookup()).entry?.toString()).toBe('\nsecond');
    // A bump on another instance: the next lookup misses at once.
    await redisCacheStore(client, namespace).bump(['services']);
    expect((await lookup()).entry).toBeNull();
  });

  it('identical lookups made together share one round trip; one made after it was sent sees a bump made since', async () => {
    const namespace = `test-${randomUUID()}`;
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    const store = redisCacheStore(client, namespace);
    const lookups = async () => (await cacheRedisCommands.get()).values.find((value) => value.labels.kind === 'lookup')?.value ?? 0;
    const before = await lookups();
    const together = await Promise.all(Array.from({ length: 10 }, () => store.lookup('services', ['services'])));
    expect(await lookups()).toBe(before + 1);
    expect(new Set(together.map((found) => found.generations))).toEqual(new Set(['0']));
    const first = store.lookup('services', ['services']);
    await waitUntil('the first lookup sent', async () => (await lookups()) === before + 2);
    await redisCacheStore(client, namespace).bump(['services']);
    const [earlier, after] = await Promise.all([first, store.lookup('services', ['services'])]);
    expect(earlier.generations).toBe('0');
    expect(after.generations).toBe('1');
  });

  it('a store whose namespace is still being read (the start reads it while routes register) sends every command under it', async () => {
    const namespace = `test-${randomUUID()}`;
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    let namespaceRead: (value: string) => void = () => {};
    const store = redisCacheStore(client, new Promise<string>((resolve) => (namespaceRead = resolve)));
    const sent = Promise.all([store.bump(['services']), store.store('services', '1', '\nentry', 60_000), store.lookup('services', ['services'])]);
    namespaceRead(namespace);
    const [, , found] = await sent;
    expect(found.generations).toBe('1');
    expect(await client.get(`clinic-cache:${namespace}:gen:services`)).toBe('1');
    expect(await client.get(`clinic-cache:${namespace}:services@1`)).toBe('\nentry');
  });

  it('namespaces keys by database: two databases on one Redis never share answers', async () => {
    const [first, second] = [await cacheNamespace(database.db), await cacheNamespace(other.db)];
    expect(first).not.toBe(second);
    expect(await cacheNamespace(database.db)).toBe(first);
  });
});
