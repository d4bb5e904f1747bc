// Slot holds: a held slot leaves everyone else's free slots, booking with holdId spends it, one
// hold per patient, release, expiry without a job (fake and real clock), and concurrency.
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, freeSlots, hold, localDate, type Appointment } from '../../helpers/scheduling.ts';
import { waitUntil } from '../../helpers/wait.ts';

interface Hold {
  id: string;
  doctorId: string;
  startsAt: string;
  endsAt: string;
  expiresAt: string;
}

const day = (n: number) => localDate(n);

describe('slot holds', () => {
  const t = useTestApp();
  let doctor: Actor<'doctor'>;
  let holder: Actor<'patient'>;
  let other: Actor<'patient'>;

  beforeAll(async () => {
    [doctor, holder, other] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'patient'), loginAs(t, 'patient')]);
    await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00', 30);
  });

  const starts = async (date: string) => (await freeSlots(t, doctor.profileId, date, date, {})).map((slot) => slot.startsAt);

  it('a held slot is gone for everyone else until booked with holdId; a spent hold is 404 to release and 409 to book again', async () => {
    const [slot] = await freeSlots(t, doctor.profileId, day(2), day(2), {});
    const created = await hold(t, holder, { doctorId: doctor.profileId, startsAt: slot!.startsAt });
    expect(created.statusCode, created.body).toBe(201);
    const held = created.json<Hold>();
    expect(held).toMatchObject({ doctorId: doctor.profileId, startsAt: slot!.startsAt, endsAt: slot!.endsAt });
    expect(new Date(held.expiresAt).getTime() - t.clock.now().getTime()).toBeGreaterThan(4 * 60_000);
    expect(await starts(day(2))).not.toContain(slot!.startsAt);

    expectProblem(await book(t, other, { doctorId: doctor.profileId, startsAt: slot!.startsAt }), 409, 'slot_unavailable');
    expectProblem(await hold(t, other, { doctorId: doctor.profileId, startsAt: slot!.startsAt }), 409, 'slot_unavailable');
    expectProblem(await book(t, other, { holdId: held.id, type: 'online' }), 409, 'slot_unavailable');
    expectProblem(await call(t.app, 'DELETE', `appointment/holds/${held.id}/`, { headers: other.headers }), 404, 'not_found');
    // Doctors booking for another patient collide with the hold too.
    expectProblem(await bookForPatient(t, doctor, { patientId: other.profileId, startsAt: slot!.startsAt }), 409, 'slot_unavailable');

    const booked = await book(t, holder, { holdId: held.id, type: 'online', reason: 'Held' });
    expect(booked.statusCode, booked.body).toBe(201);
    expect(booked.json<Appointment>()).toMatchObject({ startsAt: slot!.startsAt, endsAt: slot!.endsAt, type: 'online', reason: 'Held', status: 'pending' });
    expect(await t.db.slotHold.count({ where: { id: held.id } })).toBe(0);
    expectProblem(await book(t, holder, { holdId: held.id }), 409, 'slot_unavailable');
    expectProblem(await call(t.app, 'DELETE', `appointment/holds/${held.id}/`, { headers: holder.headers }), 404, 'not_found');
    expectFieldError(await book(t, holder, { holdId: held.id, doctorId: doctor.profileId }), 'holdId');
    expectFieldError(await book(t, holder, { type: 'online' }), 'doctorId');
  });

  it('one hold per patient: a new hold releases the old one; releasing frees the slot at once', async () => {
    const [first, second] = await freeSlots(t, doctor.profileId, day(3), day(3), {});
    const a = (await hold(t, holder, { doctorId: doctor.profileId, startsAt: first!.startsAt })).json<Hold>();
    const b = await hold(t, holder, { doctorId: doctor.profileId, startsAt: second!.startsAt });
    expect(b.statusCode).toBe(201);
    expect(await starts(day(3))).toContain(first!.startsAt);
    expect(await starts(day(3))).not.toContain(second!.startsAt);
    expectProblem(await book(t, holder, { holdId: a.id }), 409, 'slot_unavailable');
    // Holding the same slot again renews it.
    expect((await hold(t, holder, { doctorId: doctor.profileId, startsAt: second!.startsAt })).statusCode).toBe(201);

    const renewed = await t.db.slotHold.findUniqueOrThrow({ where: { patientId: holder.profileId }, select: { id: true } });
    const released = await call(t.app, 'DELETE', `appointment/holds/${renewed.id}/`, { headers: holder.headers });
    expect(released.statusCode).toBe(204);
    expect(await starts(day(3))).toContain(second!.startsAt);
    expectProblem(await call(t.app, 'DELETE', `appointment/holds/${renewed.id}/`, { headers: holder.headers }), 404, 'not_found');
  });

  it('an expired hold blocks nothing, cleaned up or not: someone else holds and books the slot; the holder gets 409', async () => {
    const [slot] = await freeSlots(t, doctor.profileId, day(4), day(4), {});
    const held = (await hold(t, holder, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).json<Hold>();
    t.clock.advance(5 * 60_000 + 1000);
    try {
      // Access tokens last 5 minutes too: log in again on the moved clock.
      const [holderNow, otherNow] = await Promise.all([holder, other].map(async (actor) => ({ headers: bearer(await login(t.app, actor.user)) })));
      expect(await t.db.slotHold.count({ where: { id: held.id } })).toBe(1);
      expect(await starts(day(4))).toContain(slot!.startsAt);
      expectProblem(await call(t.app, 'DELETE', `appointment/holds/${held.id}/`, { headers: holderNow!.headers }), 404, 'not_found');
      const taken = await hold(t, otherNow!, { doctorId: doctor.profileId, startsAt: slot!.startsAt });
      expect(taken.statusCode, taken.body).toBe(201);
      expect((await book(t, otherNow!, { holdId: taken.json<Hold>().id })).statusCode).toBe(201);
      expectProblem(await book(t, holderNow!, { holdId: held.id }), 409, 'slot_unavailable');
    } finally {
      t.clock.reset();
    }
  });

  it('20 patients hold one slot at once: exactly one 201, the rest 409 (20 rounds)', async () => {
    const patients = await Promise.all(Array.from({ length: 20 }, () => loginAs(t, 'patient')));
    const slots = await freeSlots(t, doctor.profileId, day(6), day(8), {});
    for (let round = 0; round < 20; round += 1) {
      const answers = await Promise.all(patients.map((patient) => hold(t, patient, { doctorId: doctor.profileId, startsAt: slots[round]!.startsAt })));
      const codes = answers.map((answer) => answer.statusCode);
      expect(codes.filter((code) => code === 201), `round ${round}: ${answers.find((a) => a.statusCode >= 500)?.body}`).toHaveLength(1);
      expect(codes.filter((code) => code === 409)).toHaveLength(19);
    }
  }, 120_000);

  it('validates: bounded instants, strict body, patients only, unknown doctor 404', async () => {
    expectFieldError(await hold(t, holder, { doctorId: doctor.profileId, startsAt: '9999-12-31T20:00:00-12:00' }), 'startsAt');
    expectFieldError(await hold(t, holder, { doctorId: doctor.profileId, startsAt: `${day(5)}T08:00:00Z`, endsAt: `${day(5)}T09:00:00Z` }), 'endsAt');
    expectProblem(await hold(t, holder, { doctorId: '00000000-0000-4000-8000-000000000000', startsAt: `${day(5)}T08:00:00Z` }), 404, 'not_found');
    expectProblem(await hold(t, holder, { doctorId: doctor.profileId, startsAt: `${day(5)}T08:10:00Z` }), 409, 'slot_unavailable');
    expectProblem(await hold(t, doctor, { doctorId: doctor.profileId, startsAt: `${day(5)}T08:00:00Z` }), 403, 'forbidden');
    expectProblem(await call(t.app, 'POST', 'appointment/holds/', { payload: {} }), 401, 'unauthorized');
  });
});

describe('slot holds on the real clock', () => {
  const t = useTestApp({ env: { SLOT_HOLD_TTL: '2s' } });

  it('a hold with a short SLOT_HOLD_TTL lapses by itself and the slot is bookable by someone else', async () => {
    const [doctor, holder, other] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'patient'), loginAs(t, 'patient')]);
    await addDailyWindows(t.db, doctor.profileId, '08:00', '10:00', 60);
    const [slot] = await freeSlots(t, doctor.profileId, day(2), day(2), {});
    expect((await hold(t, holder, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).statusCode).toBe(201);
    expectProblem(await book(t, other, { doctorId: doctor.profileId, startsAt: slot!.startsAt }), 409, 'slot_unavailable');
    await waitUntil('the hold lapses', async () => (await freeSlots(t, doctor.profileId, day(2), day(2), {})).some((s) => s.startsAt === slot!.startsAt), { timeoutMs: 10_000 });
    expect((await book(t, other, { doctorId: doctor.profileId, startsAt: slot!.startsAt })).statusCode).toBe(201);
  });
});
