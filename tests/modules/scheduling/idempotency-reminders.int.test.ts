// Idempotency-Key on booking routes (replay, reuse, concurrency, expiry, purge) and the 24-hour
// reminder (sent when still confirmed, skipped otherwise).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredIdempotencyKeys } from '../../../src/lib/idempotency.ts';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';
import { addDailyWindows, book, bookForPatient, call, freeSlots, localDate, mailTo, type Appointment } from '../../helpers/scheduling.ts';

const t = useTestApp();
let doctor: Actor<'doctor'>;
let patient: Actor<'patient'>;
let otherPatient: Actor<'patient'>;

beforeAll(async () => {
  [doctor, patient, otherPatient] = await Promise.all([loginAs(t, 'doctor'), loginAs(t, 'patient'), loginAs(t, 'patient')]);
  await addDailyWindows(t.db, doctor.profileId, '08:00', '18:00', 30);
});

const count = (patientId: string) => t.db.appointment.count({ where: { patientId } });

describe('Idempotency-Key', () => {
  it('a replay with the same key and body answers the first status and body and books once', async () => {
    const [slot] = await freeSlots(t, doctor.profileId, localDate(2), localDate(2), patient.headers);
    const body = { doctorId: doctor.profileId, startsAt: slot!.startsAt, reason: 'Once' };
    const key = randomUUID();
    const before = await count(patient.profileId);
    const first = await book(t, patient, body, key);
    expect(first.statusCode).toBe(201);
    const replay = await book(t, patient, body, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await count(patient.profileId)).toBe(before + 1);
    // Without the key the same body is a new request: the slot is taken now.
    expectProblem(await book(t, patient, body), 409, 'slot_unavailable');
  });

  it('the same key with another body answers 422 idempotency_key_reused', async () => {
    const slots = await freeSlots(t, doctor.profileId, localDate(3), localDate(3), patient.headers);
    const key = randomUUID();
    expect((await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }, key)).statusCode).toBe(201);
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[1]!.startsAt }, key), 422, 'idempotency_key_reused');
  });

  it('keys are scoped to the caller and the route', async () => {
    const slots = await freeSlots(t, doctor.profileId, localDate(4), localDate(4), patient.headers);
    const key = randomUUID();
    const mine = await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }, key);
    const theirs = await book(t, otherPatient, { doctorId: doctor.profileId, startsAt: slots[1]!.startsAt }, key);
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(theirs.json().id).not.toBe(mine.json().id);
    const asDoctor = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: `${localDate(4)}T05:00:00Z` }, key);
    expect(asDoctor.statusCode).toBe(201);
    // Cancel routes of two appointments with the same key and (empty) body are different routes.
    const cancelA = await call(t.app, 'POST', `appointment/patient/${mine.json().id}/cancel/`, { headers: { ...patient.headers, 'idempotency-key': key } });
    const other = await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[2]!.startsAt });
    const cancelB = await call(t.app, 'POST', `appointment/patient/${other.json().id}/cancel/`, { headers: { ...patient.headers, 'idempotency-key': key } });
    expect([cancelA.statusCode, cancelB.statusCode]).toEqual([200, 200]);
    expect(cancelB.json().id).toBe(other.json().id);
  });

  it('concurrent requests with one key wait for the first: all answer its 201 and body, and it books once', async () => {
    // A patient of their own: the per-patient cap on upcoming bookings must not interfere.
    const booker = await loginAs(t, 'patient');
    const slots = await freeSlots(t, doctor.profileId, localDate(5), localDate(5), booker.headers);
    for (let round = 0; round < 5; round += 1) {
      const key = randomUUID();
      const body = { doctorId: doctor.profileId, startsAt: slots[round]!.startsAt };
      const before = await count(booker.profileId);
      const results = await Promise.all(Array.from({ length: 4 }, () => book(t, booker, body, key)));
      expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
      for (const result of results) expect(result.json()).toEqual(results[0]!.json());
      expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(3);
      expect(await count(booker.profileId)).toBe(before + 1);
    }
  });

  it('a failed request stores nothing: the same key may be retried', async () => {
    const slots = await freeSlots(t, doctor.profileId, localDate(6), localDate(6), patient.headers);
    await book(t, otherPatient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt });
    const key = randomUUID();
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }, key), 409, 'slot_unavailable');
    expectProblem(await book(t, patient, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }, key), 409, 'slot_unavailable');
    expect(await t.db.idempotencyKey.count({ where: { key } })).toBe(0);
  });

  it('keys expire after 24 h (the key is then free) and the purge job deletes expired keys', async () => {
    const booker = await loginAs(t, 'patient');
    const slots = await freeSlots(t, doctor.profileId, localDate(7), localDate(7), booker.headers);
    const key = randomUUID();
    expect((await book(t, booker, { doctorId: doctor.profileId, startsAt: slots[0]!.startsAt }, key)).statusCode).toBe(201);
    const row = await t.db.idempotencyKey.findFirstOrThrow({ where: { key }, select: { expiresAt: true, createdAt: true, route: true } });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(24 * 3600 * 1000);
    expect(row.route).toBe('POST /v1/api/appointment/patient');
    await t.db.idempotencyKey.updateMany({ where: { key }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await book(t, booker, { doctorId: doctor.profileId, startsAt: slots[1]!.startsAt }, key)).statusCode).toBe(201);

    await t.db.idempotencyKey.updateMany({ where: { key }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await purgeExpiredIdempotencyKeys(t.db, new Date())).toBeGreaterThanOrEqual(1);
    expect(await t.db.idempotencyKey.count({ where: { key } })).toBe(0);
  });

  it('the answer is stored in the booking’s transaction: the key’s row holds the 201 and the appointment', async () => {
    const booker = await loginAs(t, 'patient');
    const [slot] = await freeSlots(t, doctor.profileId, localDate(9), localDate(9), booker.headers);
    const key = randomUUID();
    const booked = await book(t, booker, { doctorId: doctor.profileId, startsAt: slot!.startsAt }, key);
    expect(booked.statusCode).toBe(201);
    const row = await t.db.idempotencyKey.findFirstOrThrow({ where: { key }, select: { responseStatus: true, responseBody: true } });
    expect(row).toEqual({ responseStatus: 201, responseBody: booked.json() });
  });

  it('a malformed key answers 400', async () => {
    const response = await call(t.app, 'POST', 'appointment/patient/', {
      headers: { ...patient.headers, 'idempotency-key': 'x'.repeat(256) },
      payload: { doctorId: doctor.profileId, startsAt: `${localDate(8)}T09:00:00Z` },
    });
    expectFieldError(response, 'headers.idempotency-key');
  });
});

describe('reminders', () => {
  /** A confirmed appointment whose reminder falls due `secondsAhead` from now (24 h before its start). */
  async function confirmedSoon(secondsAhead: number, who: Actor<'patient'>, by: Actor<'doctor'> = doctor): Promise<Appointment> {
    const startsAt = new Date(t.clock.now().getTime() + 24 * 3600 * 1000 + secondsAhead * 1000);
    startsAt.setUTCMilliseconds(0);
    const response = await bookForPatient(t, by, { patientId: who.profileId, startsAt: startsAt.toISOString() });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<Appointment>();
  }

  it('a confirmed appointment gets one reminder 24 h before; a cancelled one gets none', async () => {
    const secondDoctor = await loginAs(t, 'doctor');
    const kept = await confirmedSoon(2, patient);
    const cancelled = await confirmedSoon(2, otherPatient, secondDoctor);
    const dropped = await call(t.app, 'PATCH', `appointment/doctor/${cancelled.id}/update_status/`, { headers: secondDoctor.headers, payload: { status: 'cancelled' } });
    expect(dropped.statusCode).toBe(200);
    const reminder = await mailTo(t, patient.user.email, 'Reminder', undefined, 15_000);
    expect(reminder.text).toContain('reminder of your appointment');
    const jobs = await t.db.$queryRaw<{ state: string; n: number }[]>`
      SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE name = 'appointments.reminder' AND data->>'appointmentId' IN (${kept.id}, ${cancelled.id}) GROUP BY 1`;
    expect(jobs.reduce((sum, row) => sum + row.n, 0)).toBe(2);
    // Both jobs ran; only the confirmed one mailed.
    await expect.poll(async () => {
      const rows = await t.db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'appointments.reminder' AND state::text = 'completed' AND data->>'appointmentId' IN (${kept.id}, ${cancelled.id})`;
      return rows[0]!.n;
    }, { timeout: 15_000 }).toBe(2);
    expect(t.mail.messages.filter((m) => m.to === otherPatient.user.email && m.subject.includes('Reminder'))).toEqual([]);
    expect(t.mail.messages.filter((m) => m.to === patient.user.email && m.subject.includes('Reminder'))).toHaveLength(1);
    expect((await t.db.appointment.findUniqueOrThrow({ where: { id: kept.id } })).reminderQueuedAt).not.toBeNull();
  });

  it('is scheduled from the fake clock: 24 h before the start as the app sees time; none when the start is less than 24 h away', async () => {
    // A doctor of its own: the times below depend on the time of day and must not meet other tests' bookings.
    const own = await loginAs(t, 'doctor');
    // The app's clock runs 2 days ahead: an appointment 3 days ahead of it gets its reminder 2 days ahead of it.
    t.clock.advance(2 * 24 * 3600 * 1000);
    try {
      const doctorHeaders = bearer(await login(t.app, own.user));
      const startsAt = new Date(t.clock.now().getTime() + 3 * 24 * 3600 * 1000);
      startsAt.setUTCSeconds(0, 0);
      const later = await call(t.app, 'POST', 'appointment/doctor/', { headers: doctorHeaders, payload: { patientId: patient.profileId, startsAt: startsAt.toISOString() } });
      expect(later.statusCode, later.body).toBe(201);
      const [job] = await t.db.$queryRaw<{ startAfter: Date; singletonKey: string }[]>`
        SELECT start_after AS "startAfter", singleton_key AS "singletonKey" FROM pgboss.job
         WHERE name = 'appointments.reminder' AND data->>'appointmentId' = ${later.json().id}`;
      expect(job!.startAfter.toISOString()).toBe(new Date(startsAt.getTime() - 24 * 3600 * 1000).toISOString());
      expect(job!.singletonKey).toBe(later.json().id);

      const soonStart = new Date(t.clock.now().getTime() + 6 * 3600 * 1000);
      soonStart.setUTCSeconds(0, 0);
      const soon = await call(t.app, 'POST', 'appointment/doctor/', { headers: doctorHeaders, payload: { patientId: patient.profileId, startsAt: soonStart.toISOString() } });
      expect(soon.statusCode, soon.body).toBe(201);
      const none = await t.db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'appointments.reminder' AND data->>'appointmentId' = ${soon.json().id}`;
      expect(none[0]!.n).toBe(0);
    } finally {
      t.clock.reset();
    }
  });
});
