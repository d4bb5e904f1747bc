// The waitlist: routes, the cap, object-level checks, offers of freed slots (cancellation, released,
// replaced and lapsed holds, deleted time off, reschedule away), accept, decline and lapse passing
// the slot on (fake clock and real clock), and one slot never offered twice under concurrency.
import { describe, expect, it } from 'vitest';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp, type TestApp } from '../../helpers/app.ts';
import { expirePastEntries } from '../../../src/modules/scheduling/waitlist.service.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, call, freeSlots, hold, localDate, mailTo, setStatus, type Appointment } from '../../helpers/scheduling.ts';
import { drainJobs, waitUntil } from '../../helpers/wait.ts';

interface Entry {
  id: string;
  doctorId: string;
  from: string;
  to: string;
  status: string;
  offer: { holdId: string; startsAt: string; endsAt: string; expiresAt: string } | null;
  createdAt: string;
}

type Headers = Pick<Actor, 'headers'>;

const day = (n: number) => localDate(n);

const join = (t: TestApp, patient: Headers, body: Record<string, unknown>) => call(t.app, 'POST', 'appointment/waitlist/', { headers: patient.headers, payload: body });

async function joined(t: TestApp, patient: Headers, doctorId: string, from: string, to = from): Promise<Entry> {
  const response = await join(t, patient, { doctorId, from, to });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Entry>();
}

async function entriesOf(t: TestApp, patient: Headers, query = ''): Promise<{ count: number; next: string | null; previous: string | null; results: Entry[] }> {
  const response = await call(t.app, 'GET', `appointment/waitlist/${query}`, { headers: patient.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function entry(t: TestApp, patient: Headers, id: string): Promise<Entry> {
  const found = (await entriesOf(t, patient, '?pageSize=100')).results.find((candidate) => candidate.id === id);
  expect(found).toBeDefined();
  return found!;
}

const accept = (t: TestApp, patient: Headers, id: string, body: Record<string, unknown> = { type: 'online' }) =>
  call(t.app, 'POST', `appointment/waitlist/${id}/accept/`, { headers: patient.headers, payload: body });
const decline = (t: TestApp, patient: Headers, id: string) => call(t.app, 'POST', `appointment/waitlist/${id}/decline/`, { headers: patient.headers });
const leave = (t: TestApp, patient: Headers, id: string) => call(t.app, 'DELETE', `appointment/waitlist/${id}/`, { headers: patient.headers });

/**
 * pg-boss starts delayed jobs by the database's clock, which the test clock does not move: once a
 * test has moved the clock past a hold's or an offer's end, it makes the jobs waiting for that
 * moment due now.
 */
async function makeDelayedJobsDue(t: TestApp): Promise<void> {
  await t.db.$executeRaw`UPDATE pgboss.job SET start_after = now() WHERE name LIKE 'waitlist.%' AND state::text = 'created' AND start_after > now()`;
}

/** Logs the actor in again: access tokens last 5 minutes, which a moved clock passes. */
const relogin = async (t: TestApp, actor: Actor): Promise<Headers> => ({ headers: bearer(await login(t.app, actor.user)) });

async function setUp(t: TestApp, patients = 3) {
  const doctor = await loginAs(t, 'doctor');
  await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00', 30);
  const people = await Promise.all(Array.from({ length: patients }, () => loginAs(t, 'patient')));
  return { doctor, patients: people };
}

describe('waitlist', () => {
  const t = useTestApp();

  it('adds entries (the documented shape), lists them newest first and paged, withdraws them, and caps open entries at 3', async () => {
    const { doctor, patients: [patient] } = await setUp(t, 1);
    const first = await joined(t, patient!, doctor.profileId, day(1), day(31));
    expect(Object.keys(first).sort()).toEqual(['createdAt', 'doctorId', 'from', 'id', 'offer', 'status', 'to']);
    expect(first).toMatchObject({ doctorId: doctor.profileId, from: day(1), to: day(31), status: 'waiting', offer: null });
    const second = await joined(t, patient!, doctor.profileId, day(0));
    const third = await joined(t, patient!, doctor.profileId, day(2), day(3));
    expectProblem(await join(t, patient!, { doctorId: doctor.profileId, from: day(4), to: day(4) }), 422, 'limit_reached');

    const page = await entriesOf(t, patient!, '?pageSize=2');
    expect(page.count).toBe(3);
    expect(page.results.map((e) => e.id)).toEqual([third.id, second.id]);
    expect(page.next).toContain('page=2');
    expect((await entriesOf(t, patient!, '?page=2&pageSize=2')).results.map((e) => e.id)).toEqual([first.id]);
    expect((await entriesOf(t, patient!, '?page=9')).results).toEqual([]);
    expectFieldError(await call(t.app, 'GET', 'appointment/waitlist/?pageSize=0', { headers: patient!.headers }), 'query.pageSize');

    expect((await leave(t, patient!, second.id)).statusCode).toBe(204);
    expect(await entry(t, patient!, second.id)).toMatchObject({ status: 'cancelled', offer: null });
    expectProblem(await leave(t, patient!, second.id), 404, 'not_found');
    // A withdrawn entry no longer counts towards the cap.
    expect((await join(t, patient!, { doctorId: doctor.profileId, from: day(4), to: day(4) })).statusCode).toBe(201);
  });

  it('entries whose dates have passed stop counting towards the cap and are expired by the tidy-up job (fake clock)', async () => {
    const { doctor, patients: [patient, other] } = await setUp(t, 2);
    const past = await Promise.all([0, 0, 1].map((days) => joined(t, patient!, doctor.profileId, day(0), day(days))));
    const later = await joined(t, other!, doctor.profileId, day(0), day(5));
    expectProblem(await join(t, patient!, { doctorId: doctor.profileId, from: day(1), to: day(3) }), 422, 'limit_reached');
    t.clock.advance(2 * 86_400_000 + 60_000);
    try {
      const [patientNow, otherNow] = [await relogin(t, patient!), await relogin(t, other!)];
      expect((await join(t, patientNow, { doctorId: doctor.profileId, from: localDate(2), to: localDate(3) })).statusCode).toBe(201);
      expect(await expirePastEntries({ db: t.db, clock: t.clock })).toBeGreaterThanOrEqual(3);
      for (const gone of past) expect((await entry(t, patientNow, gone.id)).status).toBe('expired');
      expect((await entry(t, otherNow, later.id)).status).toBe('waiting');
    } finally {
      t.clock.reset();
    }
  });

  it('validates: dates in the doctor’s zone, not past, at most 31 days, strict body, patients only, unknown doctor 404', async () => {
    const { doctor, patients: [patient] } = await setUp(t, 1);
    const doctorId = doctor.profileId;
    expectFieldError(await join(t, patient!, { doctorId, from: day(3), to: day(2) }), 'to');
    expectFieldError(await join(t, patient!, { doctorId, from: day(1), to: day(32) }), 'to');
    expectFieldError(await join(t, patient!, { doctorId, from: day(-1), to: day(2) }), 'from');
    expectFieldError(await join(t, patient!, { doctorId, from: '2026-02-30', to: day(2) }), 'from');
    expectFieldError(await join(t, patient!, { doctorId, from: day(1), to: day(2), status: 'offered' }), 'status');
    expectFieldError(await join(t, patient!, { doctorId: 'nope', from: day(1), to: day(2) }), 'doctorId');
    expectProblem(await join(t, patient!, { doctorId: '00000000-0000-4000-8000-000000000000', from: day(1), to: day(2) }), 404, 'not_found');
    expectProblem(await join(t, doctor, { doctorId, from: day(1), to: day(2) }), 403, 'forbidden');
    expectProblem(await call(t.app, 'GET', 'appointment/waitlist/'), 401, 'unauthorized');
    // "Today" is the doctor's: far east of UTC, tomorrow in UTC terms may already be today there.
    const eastern = await loginAs(t, 'doctor', { timezone: 'Pacific/Kiritimati' });
    expect((await join(t, patient!, { doctorId: eastern.profileId, from: localDate(0, 'Pacific/Kiritimati'), to: localDate(1, 'Pacific/Kiritimati') })).statusCode).toBe(201);
  });

  it('object-level: a patient sees, withdraws, accepts and declines only their own entries', async () => {
    const { doctor, patients: [owner, other] } = await setUp(t, 2);
    const [slot] = await freeSlots(t, doctor.profileId, day(2), day(2), {});
    const mine = await joined(t, owner!, doctor.profileId, day(2));
    const appointment = (await book(t, other!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Appointment>();
    expect((await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: other!.headers, payload: {} })).statusCode).toBe(200);
    await drainJobs(t);
    expect((await entry(t, owner!, mine.id)).status).toBe('offered');

    expect((await entriesOf(t, other!)).results.map((e) => e.id)).not.toContain(mine.id);
    expectProblem(await leave(t, other!, mine.id), 404, 'not_found');
    expectProblem(await accept(t, other!, mine.id), 404, 'not_found');
    expectProblem(await decline(t, other!, mine.id), 404, 'not_found');
    // Nor can the offer's hold be booked, released or used as someone's own hold.
    const { holdId } = (await entry(t, owner!, mine.id)).offer!;
    expectProblem(await book(t, other!, { holdId, type: 'online' }), 409, 'slot_unavailable');
    expectProblem(await book(t, owner!, { holdId, type: 'online' }), 409, 'slot_unavailable');
    expectProblem(await call(t.app, 'DELETE', `appointment/holds/${holdId}/`, { headers: owner!.headers }), 404, 'not_found');
    expect((await entry(t, owner!, mine.id)).status).toBe('offered');
  });

  it('a cancellation offers the slot to the oldest waiting entry: held, mailed, gone from free slots; accept books it and spends the hold', async () => {
    const { doctor, patients: [booker, first, second, stranger] } = await setUp(t, 4);
    const [slot, other] = await freeSlots(t, doctor.profileId, day(2), day(2), {});
    // A patient's own hold and an offer held for them live side by side.
    const own = await hold(t, first!, { doctorId: doctor.profileId, startsAt: other!.startsAt });
    expect(own.statusCode, own.body).toBe(201);
    const appointment = (await book(t, booker!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Appointment>();
    const older = await joined(t, first!, doctor.profileId, day(1), day(3));
    const newer = await joined(t, second!, doctor.profileId, day(2));
    await joined(t, stranger!, doctor.profileId, day(3), day(4));

    expect((await setStatus(t, doctor, appointment.id, 'cancelled')).statusCode).toBe(200);
    await drainJobs(t);
    const offered = await entry(t, first!, older.id);
    expect(offered.status).toBe('offered');
    expect(offered.offer).toMatchObject({ startsAt: slot!.startsAt, endsAt: slot!.endsAt });
    const ttl = new Date(offered.offer!.expiresAt).getTime() - t.clock.now().getTime();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    expect(await t.db.slotHold.count({ where: { id: offered.offer!.holdId, patientId: first!.profileId, waitlistEntryId: older.id } })).toBe(1);
    expect(await t.db.slotHold.count({ where: { id: own.json<{ id: string }>().id } })).toBe(1);
    expect((await entry(t, second!, newer.id)).status).toBe('waiting');
    const mail = await mailTo(t, first!.user.email, 'A slot is free for you');
    expect(mail.text).toContain(older.id);
    expect((await freeSlots(t, doctor.profileId, day(2), day(2), {})).map((s) => s.startsAt)).not.toContain(slot!.startsAt);
    expectProblem(await book(t, second!, { doctorId: doctor.profileId, startsAt: slot!.startsAt }), 409, 'slot_unavailable');

    expectFieldError(await accept(t, first!, older.id, { type: 'video' }), 'type');
    expectFieldError(await accept(t, first!, older.id, { type: 'online', holdId: offered.offer!.holdId }), 'holdId');
    const accepted = await accept(t, first!, older.id, { type: 'online', reason: 'From the waiting list' });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json<Appointment>()).toMatchObject({
      startsAt: slot!.startsAt,
      endsAt: slot!.endsAt,
      type: 'online',
      reason: 'From the waiting list',
      status: 'pending',
      patient: { id: first!.profileId },
    });
    expect(await entry(t, first!, older.id)).toMatchObject({ status: 'booked', offer: null });
    expect(await t.db.slotHold.count({ where: { waitlistEntryId: older.id } })).toBe(0);
    await mailTo(t, doctor.user.email, 'Appointment awaiting confirmation');
    expectProblem(await accept(t, first!, older.id), 404, 'not_found');
    expectProblem(await decline(t, second!, newer.id), 409, 'conflict');
  });

  it('decline passes the slot to the next entry, and the decliner waits again without being offered it back', async () => {
    const { doctor, patients: [holder, first, second] } = await setUp(t, 3);
    const [slot] = await freeSlots(t, doctor.profileId, day(3), day(3), {});
    const held = (await hold(t, holder!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<{ id: string }>();
    const a = await joined(t, first!, doctor.profileId, day(3));
    const b = await joined(t, second!, doctor.profileId, day(2), day(4));
    // A released hold frees its slot.
    expect((await call(t.app, 'DELETE', `appointment/holds/${held.id}/`, { headers: holder!.headers })).statusCode).toBe(204);
    await drainJobs(t);
    expect((await entry(t, first!, a.id)).offer?.startsAt).toBe(slot!.startsAt);

    const declined = await decline(t, first!, a.id);
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json<Entry>()).toMatchObject({ id: a.id, status: 'waiting', offer: null });
    expect((await entry(t, second!, b.id)).offer?.startsAt).toBe(slot!.startsAt);
    expect((await decline(t, second!, b.id)).statusCode).toBe(200);
    await drainJobs(t);
    expect((await entry(t, first!, a.id)).status).toBe('waiting');
    expect((await entry(t, second!, b.id)).status).toBe('waiting');
    expect((await freeSlots(t, doctor.profileId, day(3), day(3), {})).map((s) => s.startsAt)).toContain(slot!.startsAt);
    expectProblem(await decline(t, first!, a.id), 409, 'conflict');
    expectProblem(await accept(t, first!, a.id), 409, 'conflict');
  });

  it('withdrawing an offered entry passes its slot on', async () => {
    const { doctor, patients: [booker, first, second] } = await setUp(t, 3);
    const [slot] = await freeSlots(t, doctor.profileId, day(5), day(5), {});
    const appointment = (await book(t, booker!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Appointment>();
    const a = await joined(t, first!, doctor.profileId, day(5));
    const b = await joined(t, second!, doctor.profileId, day(5));
    await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: booker!.headers, payload: {} });
    await drainJobs(t);
    expect((await entry(t, first!, a.id)).status).toBe('offered');
    expect((await leave(t, first!, a.id)).statusCode).toBe(204);
    expect(await entry(t, first!, a.id)).toMatchObject({ status: 'cancelled', offer: null });
    expect((await entry(t, second!, b.id)).offer?.startsAt).toBe(slot!.startsAt);
  });

  it('deleted time off and a reschedule away offer the time they free', async () => {
    const { doctor, patients: [booker, first, second] } = await setUp(t, 3);
    const [offSlot] = await freeSlots(t, doctor.profileId, day(6), day(6), {});
    const off = await call(t.app, 'POST', 'doctor/time-off/', { headers: doctor.headers, payload: { startsAt: offSlot!.startsAt, endsAt: offSlot!.endsAt } });
    expect(off.statusCode, off.body).toBe(201);
    const a = await joined(t, first!, doctor.profileId, day(6));
    expect((await call(t.app, 'DELETE', `doctor/time-off/${off.json<{ id: string }>().id}/`, { headers: doctor.headers })).statusCode).toBe(204);
    await drainJobs(t);
    expect((await entry(t, first!, a.id)).offer?.startsAt).toBe(offSlot!.startsAt);

    const [from] = await freeSlots(t, doctor.profileId, day(7), day(7), {});
    const [to] = await freeSlots(t, doctor.profileId, day(8), day(8), {});
    const appointment = (await book(t, booker!, { doctorId: doctor.profileId, startsAt: from!.startsAt })).json<Appointment>();
    const b = await joined(t, second!, doctor.profileId, day(7));
    const moved = await call(t.app, 'POST', `appointment/patient/${appointment.id}/reschedule/`, { headers: booker!.headers, payload: { startsAt: to!.startsAt } });
    expect(moved.statusCode, moved.body).toBe(201);
    await drainJobs(t);
    expect((await entry(t, second!, b.id)).offer?.startsAt).toBe(from!.startsAt);
  });

  it('a hold that lapses unused offers its slot (fake clock)', async () => {
    const { doctor, patients: [holder, waiter] } = await setUp(t, 2);
    const [slot] = await freeSlots(t, doctor.profileId, day(9), day(9), {});
    expect((await hold(t, holder!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).statusCode).toBe(201);
    const a = await joined(t, waiter!, doctor.profileId, day(9));
    await drainJobs(t);
    expect((await entry(t, waiter!, a.id)).status).toBe('waiting');
    t.clock.advance(5 * 60_000 + 1000);
    try {
      await makeDelayedJobsDue(t);
      await drainJobs(t);
      const offered = await entry(t, await relogin(t, waiter!), a.id);
      expect(offered).toMatchObject({ status: 'offered', offer: { startsAt: slot!.startsAt } });
    } finally {
      t.clock.reset();
    }
  });

  it('an offer that lapses makes its entry expired and passes the slot to the next entry (fake clock); a lapsed offer cannot be accepted', async () => {
    const { doctor, patients: [booker, first, second] } = await setUp(t, 3);
    const [slot] = await freeSlots(t, doctor.profileId, day(10), day(10), {});
    const appointment = (await book(t, booker!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Appointment>();
    const a = await joined(t, first!, doctor.profileId, day(10));
    const b = await joined(t, second!, doctor.profileId, day(10));
    await setStatus(t, doctor, appointment.id, 'cancelled');
    await drainJobs(t);
    expect((await entry(t, first!, a.id)).status).toBe('offered');
    t.clock.advance(15 * 60_000 + 1000);
    try {
      const [firstNow, secondNow] = [await relogin(t, first!), await relogin(t, second!)];
      expectProblem(await accept(t, firstNow, a.id), 409, 'slot_unavailable');
      await makeDelayedJobsDue(t);
      await drainJobs(t);
      expect(await entry(t, firstNow, a.id)).toMatchObject({ status: 'expired', offer: null });
      const passed = await entry(t, secondNow, b.id);
      expect(passed).toMatchObject({ status: 'offered', offer: { startsAt: slot!.startsAt } });
      expect(new Date(passed.offer!.expiresAt).getTime()).toBeGreaterThan(t.clock.now().getTime() + 14 * 60_000);
    } finally {
      t.clock.reset();
    }
  });

  it('concurrent cancellations and acceptances never offer one slot to two entries nor book it twice', async () => {
    const { doctor, patients } = await setUp(t, 16);
    const bookers = patients.slice(0, 8);
    const waiters = patients.slice(8);
    const slots = (await freeSlots(t, doctor.profileId, day(12), day(12), {})).slice(0, 8);
    const appointments = await Promise.all(bookers.map(async (booker, i) => (await book(t, booker, { doctorId: doctor.profileId, startsAt: slots[i]!.startsAt })).json<Appointment>()));
    const entries: Entry[] = [];
    for (const waiter of waiters) entries.push(await joined(t, waiter, doctor.profileId, day(11), day(13)));

    // Round 1: the first four appointments are cancelled at once.
    const cancelled = await Promise.all(appointments.slice(0, 4).map((appointment, i) => call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: bookers[i]!.headers, payload: {} })));
    expect(cancelled.map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
    await drainJobs(t);
    const offersOf = async () => {
      const rows = await t.db.waitlistEntry.findMany({ where: { id: { in: entries.map((e) => e.id) }, status: 'offered' }, select: { id: true, offerStartsAt: true } });
      return rows.map((row) => ({ id: row.id, startsAt: row.offerStartsAt!.toISOString() }));
    };
    const firstOffers = await offersOf();
    expect(firstOffers).toHaveLength(4);
    expect(new Set(firstOffers.map((offer) => offer.startsAt)).size).toBe(4);
    // The four oldest entries, in line order.
    expect(firstOffers.map((offer) => offer.id).sort()).toEqual(entries.slice(0, 4).map((e) => e.id).sort());

    // Round 2: the offers are accepted while the other four appointments are cancelled, all at once.
    const owner = (id: string) => waiters[entries.findIndex((e) => e.id === id)]!;
    const answers = await Promise.all([
      ...firstOffers.map((offer) => accept(t, owner(offer.id), offer.id)),
      ...appointments.slice(4).map((appointment, i) => call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: bookers[i + 4]!.headers, payload: {} })),
    ]);
    expect(answers.map((response) => response.statusCode)).toEqual([201, 201, 201, 201, 200, 200, 200, 200]);
    await drainJobs(t);
    const secondOffers = await offersOf();
    expect(secondOffers).toHaveLength(4);
    expect(new Set(secondOffers.map((offer) => offer.startsAt))).toEqual(new Set(slots.slice(4).map((slot) => slot.startsAt)));
    expect(secondOffers.map((offer) => offer.id).sort()).toEqual(entries.slice(4, 8).map((e) => e.id).sort());
    expect(await Promise.all(secondOffers.map(async (offer) => (await accept(t, owner(offer.id), offer.id)).statusCode))).toEqual([201, 201, 201, 201]);

    const active = await t.db.appointment.findMany({ where: { doctorId: doctor.profileId, status: { in: ['pending', 'confirmed'] } }, select: { startsAt: true } });
    expect(active).toHaveLength(8);
    expect(new Set(active.map((a) => a.startsAt.toISOString())).size).toBe(8);
    expect(await t.db.waitlistEntry.count({ where: { id: { in: entries.map((e) => e.id) }, status: 'booked' } })).toBe(8);
    expect(await t.db.slotHold.count({ where: { doctorId: doctor.profileId } })).toBe(0);
  }, 120_000);
});

describe('waitlist on the real clock', () => {
  const t = useTestApp({ env: { WAITLIST_OFFER_TTL: '2s' } });

  it('a lapsed offer passes to the next entry within 30 s without anyone asking', async () => {
    const { doctor, patients: [booker, first, second] } = await setUp(t, 3);
    const [slot] = await freeSlots(t, doctor.profileId, day(2), day(2), {});
    const appointment = (await book(t, booker!, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Appointment>();
    const a = await joined(t, first!, doctor.profileId, day(2));
    const b = await joined(t, second!, doctor.profileId, day(2));
    const cancelledAt = Date.now();
    await call(t.app, 'POST', `appointment/patient/${appointment.id}/cancel/`, { headers: booker!.headers, payload: {} });
    await waitUntil('the first offer', async () => (await entry(t, first!, a.id)).status === 'offered', { timeoutMs: 30_000 });
    expect(Date.now() - cancelledAt).toBeLessThan(30_000);
    await waitUntil('the offer passed on', async () => (await entry(t, second!, b.id)).status === 'offered', { timeoutMs: 30_000 });
    expect((await entry(t, first!, a.id)).status).toBe('expired');
  }, 70_000);
});
