// The read cache (lib/cache.ts) in one instance, in memory: for every kind of write, a cached
// public read made before it answers, right after it, exactly what an instance without a cache
// answers (and not what it answered before). Time-driven changes (a hold lapsing, the minimum
// notice) too. The same through Redis and across two instances: read-cache-redis.int.test.ts.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheReads } from '../../src/lib/cache.ts';
import { bearer, createDoctor, login, loginAs, type Actor } from '../helpers/actors.ts';
import { useTestApp, type TestApp } from '../helpers/app.ts';
import { createDesignation, createSpecialization } from '../helpers/directory.ts';
import { API } from '../helpers/http.ts';
import { postReview, reviewerOf } from '../helpers/reviews.ts';
import { addDailyWindows, call, hold, localDate } from '../helpers/scheduling.ts';
import { fileBody, PNG } from '../helpers/upload-fixtures.ts';
import { drainJobs } from '../helpers/wait.ts';

/** Hits counted so far by every cache of this process. */
async function hits(): Promise<number> {
  const metric = await cacheReads.get();
  return metric.values.find((value) => value.labels.outcome === 'hit')?.value ?? 0;
}

/** The status and body of a public GET of `path` (under the API prefix). */
async function answer(t: TestApp, path: string): Promise<string> {
  const response = await t.app.inject({ method: 'GET', url: `${API}/${path}` });
  return `${response.statusCode} ${response.body}`;
}

/** What a case arranges: the public reads to watch, and the write (through the API) that must show in them. */
interface Arranged {
  reads: string[];
  write: () => Promise<void>;
  /** Moves both instances' clocks after the write (time-driven changes). */
  advanceMs?: number;
}

const DAY = localDate(3);
const slotsOf = (doctorId: string) => `doctor/available-times-patient/?doctorId=${doctorId}&from=${DAY}&to=${DAY}`;
const at = (time: string) => `${DAY}T${time}:00.000Z`;

describe('read cache, one instance in memory: a write shows in the next read', () => {
  const cached = useTestApp();
  // The same database without a cache: what every read must answer.
  const uncached = useTestApp(() => ({ databaseUrl: cached.config.database.url, env: { CACHE_ENABLED: 'false', WORKER_ENABLED: 'false' } }));
  let admin: Actor<'admin'>;

  beforeAll(async () => {
    admin = await loginAs(cached, 'admin');
  });

  const call$ = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, headers: Record<string, string>, payload?: unknown) =>
    call(cached.app, method, path, { headers, ...(payload === undefined ? {} : { payload }) }).then((response) => {
      expect(response.statusCode, `${method} ${path}: ${response.body}`).toBeLessThan(300);
      return response;
    });

  /** A logged-in doctor with a specialization and a designation, windows every day 09:00-12:00 UTC; and the reads of its public profile. */
  async function listedDoctor() {
    const [specialization, designation] = await Promise.all([createSpecialization(cached.db), createDesignation(cached.db)]);
    const doctor = await loginAs(cached, 'doctor', { specializationIds: [specialization.id], designationIds: [designation.id] });
    await addDailyWindows(cached.db, doctor.profileId, '09:00', '12:00', 30);
    const email = doctor.user.email;
    const reads = [`doctor/list/?search=${email}`, `public-portal/list/doctor/?search=${email}`, `doctor/profile/${email}`, slotsOf(doctor.profileId)];
    return { doctor, specialization, designation, reads };
  }

  async function bookedAppointment(doctor: Actor<'doctor'>, time = '09:30') {
    const patient = await loginAs(cached, 'patient');
    const booked = await call$('POST', 'appointment/patient/', patient.headers, { doctorId: doctor.profileId, startsAt: at(time), type: 'in_person' });
    return { patient, id: booked.json<{ id: string }>().id };
  }

  const cases: Record<string, () => Promise<Arranged>> = {
    // Doctors.
    'a doctor edits their profile': async () => {
      const { doctor, reads } = await listedDoctor();
      return { reads, write: () => call$('PATCH', 'doctor/profile/me/', doctor.headers, { bio: `New bio ${randomUUID()}`, fee: '75.00' }).then(() => {}) };
    },
    'a doctor stops accepting patients (their free slots go)': async () => {
      const { doctor, reads } = await listedDoctor();
      return { reads, write: () => call$('PATCH', 'doctor/profile/me/', doctor.headers, { acceptingPatients: false }).then(() => {}) };
    },
    'a doctor changes their avatar (the media module)': async () => {
      const { doctor, reads } = await listedDoctor();
      const body = fileBody(PNG, 'me.png');
      return {
        reads,
        write: async () => {
          const response = await cached.app.inject({ method: 'PUT', url: `${API}/doctor/profile/me/avatar/`, headers: { ...doctor.headers, ...body.headers }, payload: body.payload });
          expect(response.statusCode, response.body).toBe(200);
        },
      };
    },
    'a doctor renames their account (user/me)': async () => {
      const { doctor, reads } = await listedDoctor();
      return { reads, write: () => call$('PATCH', 'user/me/', doctor.headers, { firstName: 'Renamed' }).then(() => {}) };
    },
    'a doctor closes their profile': async () => {
      const { doctor, reads } = await listedDoctor();
      return { reads, write: () => call$('DELETE', 'doctor/profile/me/', doctor.headers).then(() => {}) };
    },
    'an admin renames a specialization a doctor has': async () => {
      const { specialization, reads } = await listedDoctor();
      return { reads: [...reads, 'doctor/specializations/'], write: () => call$('PATCH', `doctor/specializations/${specialization.id}/`, admin.headers, { name: `Renamed ${randomUUID().slice(0, 8)}` }).then(() => {}) };
    },
    'an admin deletes a designation a doctor has': async () => {
      const { designation, reads } = await listedDoctor();
      return { reads: [...reads, 'doctor/designations/'], write: () => call$('DELETE', `doctor/designations/${designation.id}/`, admin.headers).then(() => {}) };
    },
    'an admin approves a doctor application (a new doctor is listed)': async () => {
      const specialization = await createSpecialization(cached.db);
      const applicant = await loginAs(cached, 'patient');
      const applied = await call$('POST', 'operations/apply/to-be/doctor/', applicant.headers, {
        licenseNumber: `LIC-${randomUUID().slice(0, 6)}`,
        bio: 'Ready',
        specializationIds: [specialization.id],
        yearsOfExperience: 3,
      });
      const email = applicant.user.email;
      return {
        reads: [`doctor/list/?search=${email}`, `doctor/profile/${email}`],
        write: () => call$('PATCH', `operations/applications/${applied.json<{ id: string }>().id}/`, admin.headers, { status: 'approved' }).then(() => {}),
      };
    },
    // Catalogues and services.
    'an admin creates a specialization': async () => ({
      reads: ['doctor/specializations/'],
      write: () => call$('POST', 'doctor/specializations/', admin.headers, { name: `Spec ${randomUUID().slice(0, 8)}` }).then(() => {}),
    }),
    'an admin replaces a designation': async () => {
      const designation = await createDesignation(cached.db);
      return { reads: ['doctor/designations/'], write: () => call$('PUT', `doctor/designations/${designation.id}/`, admin.headers, { name: `Desig ${randomUUID().slice(0, 8)}` }).then(() => {}) };
    },
    'an admin creates, then deletes, a service': async () => {
      const created = await call$('POST', 'public-portal/services/', admin.headers, { name: `Service ${randomUUID().slice(0, 8)}` });
      return { reads: ['public-portal/services/'], write: () => call$('DELETE', `public-portal/services/${created.json<{ id: string }>().id}/`, admin.headers).then(() => {}) };
    },
    // Reviews.
    'a patient reviews a doctor (reviews and the rating)': async () => {
      const { doctor, reads } = await listedDoctor();
      const patient = await reviewerOf(cached, [doctor.profileId]);
      return {
        reads: [...reads, `doctor/reviews/?doctorId=${doctor.profileId}`, 'public-portal/list/doctor/reviews/'],
        write: () => postReview(cached, patient, { doctorId: doctor.profileId, rating: 4, comment: 'Good' }).then(() => {}),
      };
    },
    'an author changes their rating': async () => {
      const { doctor, reads } = await listedDoctor();
      const patient = await reviewerOf(cached, [doctor.profileId]);
      const review = await postReview(cached, patient, { doctorId: doctor.profileId, rating: 2 });
      return { reads: [...reads, `doctor/reviews/${review.id}/`, `doctor/reviews/?doctorId=${doctor.profileId}`], write: () => call$('PATCH', `doctor/reviews/${review.id}/`, patient.headers, { rating: 5 }).then(() => {}) };
    },
    'an admin deletes a review (moderation)': async () => {
      const { doctor, reads } = await listedDoctor();
      const patient = await reviewerOf(cached, [doctor.profileId]);
      const review = await postReview(cached, patient, { doctorId: doctor.profileId, rating: 1, comment: 'Rude' });
      return { reads: [...reads, `doctor/reviews/${review.id}/`, `doctor/reviews/?doctorId=${doctor.profileId}`], write: () => call$('DELETE', `doctor/reviews/${review.id}/`, admin.headers).then(() => {}) };
    },
    'a reviewer renames themselves (their first name on reviews)': async () => {
      const { doctor } = await listedDoctor();
      const patient = await reviewerOf(cached, [doctor.profileId], { firstName: 'Before' });
      await postReview(cached, patient, { doctorId: doctor.profileId, rating: 3 });
      return { reads: [`doctor/reviews/?doctorId=${doctor.profileId}`], write: () => call$('PATCH', 'patient/patients/me/', patient.headers, { firstName: 'After' }).then(() => {}) };
    },
    'a reviewer erases their account (their reviews stay, anonymised)': async () => {
      const { doctor } = await listedDoctor();
      const patient = await reviewerOf(cached, [doctor.profileId], { firstName: 'Erased' });
      await postReview(cached, patient, { doctorId: doctor.profileId, rating: 3 });
      return { reads: [`doctor/reviews/?doctorId=${doctor.profileId}`], write: () => call$('DELETE', 'patient/patients/me/', patient.headers).then(() => {}) };
    },
    // Free slots: the calendar's writes.
    'a doctor adds a window': async () => {
      const doctor = await loginAs(cached, 'doctor');
      const weekday = new Date(`${DAY}T00:00:00Z`).getUTCDay();
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('POST', 'doctor/available-times/', doctor.headers, { weekday, startTime: '14:00', endTime: '15:00', slotMinutes: 30 }).then(() => {}) };
    },
    'a doctor changes, then deletes, a window': async () => {
      const doctor = await loginAs(cached, 'doctor');
      const weekday = new Date(`${DAY}T00:00:00Z`).getUTCDay();
      const window = await call$('POST', 'doctor/available-times/', doctor.headers, { weekday, startTime: '14:00', endTime: '15:00', slotMinutes: 30 });
      const id = window.json<{ id: string }>().id;
      return {
        reads: [slotsOf(doctor.profileId)],
        write: async () => {
          await call$('PATCH', `doctor/available-times/${id}/`, doctor.headers, { slotMinutes: 15 });
          expect(await answer(cached, slotsOf(doctor.profileId))).toBe(await answer(uncached, slotsOf(doctor.profileId)));
          await call$('DELETE', `doctor/available-times/${id}/`, doctor.headers);
        },
      };
    },
    'a doctor takes, then gives back, time off': async () => {
      const { doctor } = await listedDoctor();
      const off = await call$('POST', 'doctor/time-off/', doctor.headers, { startsAt: at('09:00'), endsAt: at('10:00'), reason: 'Training' });
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('DELETE', `doctor/time-off/${off.json<{ id: string }>().id}/`, doctor.headers).then(() => {}) };
    },
    'a doctor sets booking rules (buffers)': async () => {
      const { doctor } = await listedDoctor();
      await bookedAppointment(doctor, '10:00');
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('PUT', 'doctor/booking-rules/', doctor.headers, { bufferBeforeMinutes: 30, bufferAfterMinutes: 30 }).then(() => {}) };
    },
    'a patient books a slot': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('POST', 'appointment/patient/', patient.headers, { doctorId: doctor.profileId, startsAt: at('10:30'), type: 'online' }).then(() => {}) };
    },
    'a doctor books for a patient': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('POST', 'appointment/doctor/', doctor.headers, { patientEmail: patient.user.email, startsAt: at('11:00'), type: 'in_person' }).then(() => {}) };
    },
    'a patient cancels': async () => {
      const { doctor } = await listedDoctor();
      const { patient, id } = await bookedAppointment(doctor);
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('POST', `appointment/patient/${id}/cancel/`, patient.headers, {}).then(() => {}) };
    },
    'a doctor rejects a pending appointment': async () => {
      const { doctor } = await listedDoctor();
      const { id } = await bookedAppointment(doctor);
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('PATCH', `appointment/doctor/${id}/update_status/`, doctor.headers, { status: 'rejected' }).then(() => {}) };
    },
    'a patient reschedules': async () => {
      const { doctor } = await listedDoctor();
      const { patient, id } = await bookedAppointment(doctor);
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('POST', `appointment/patient/${id}/reschedule/`, patient.headers, { startsAt: at('11:30') }).then(() => {}) };
    },
    'a patient holds a slot': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      return {
        reads: [slotsOf(doctor.profileId)],
        write: async () => {
          const response = await hold(cached, patient, { doctorId: doctor.profileId, startsAt: at('09:00') });
          expect(response.statusCode, response.body).toBe(201);
        },
      };
    },
    'a patient releases a hold': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      const held = await hold(cached, patient, { doctorId: doctor.profileId, startsAt: at('09:00') });
      return { reads: [slotsOf(doctor.profileId)], write: () => call$('DELETE', `appointment/holds/${held.json<{ id: string }>().id}/`, patient.headers).then(() => {}) };
    },
    'a hold lapses (no write: the clock)': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      expect((await hold(cached, patient, { doctorId: doctor.profileId, startsAt: at('09:00') })).statusCode).toBe(201);
      return { reads: [slotsOf(doctor.profileId)], write: async () => {}, advanceMs: cached.config.lifetimes.slotHoldSeconds * 1000 + 1000 };
    },
    'the minimum notice passes the first slot (no write: the clock)': async () => {
      const { doctor } = await listedDoctor();
      // 09:00 on DAY is less than 3 days away: a notice of 3 days minus 09:00's distance plus a minute leaves it offered for a minute.
      const untilFirst = Date.parse(at('09:00')) - Date.now();
      await call$('PUT', 'doctor/booking-rules/', doctor.headers, { minNoticeMinutes: Math.floor(untilFirst / 60_000) - 1 });
      return { reads: [slotsOf(doctor.profileId)], write: async () => {}, advanceMs: 2 * 60_000 };
    },
    'a freed slot is offered to the waitlist (the worker holds it for the next in line)': async () => {
      const { doctor } = await listedDoctor();
      const patient = await loginAs(cached, 'patient');
      // An hour: its cancellation frees two slots, and the one waiting patient is offered the first.
      const booked = await call$('POST', 'appointment/doctor/', doctor.headers, { patientEmail: patient.user.email, startsAt: at('09:00'), endsAt: at('10:00'), type: 'in_person' });
      const waiting = await loginAs(cached, 'patient');
      await call$('POST', 'appointment/waitlist/', waiting.headers, { doctorId: doctor.profileId, from: DAY, to: DAY });
      return {
        reads: [slotsOf(doctor.profileId)],
        write: async () => {
          await call$('PATCH', `appointment/doctor/${booked.json<{ id: string }>().id}/update_status/`, doctor.headers, { status: 'cancelled' });
          // Cached while the offer may still be pending; the worker's hold must show in the next read.
          await answer(cached, slotsOf(doctor.profileId));
          await drainJobs(cached);
          expect(await cached.db.slotHold.count({ where: { doctorId: doctor.profileId, waitlistEntryId: { not: null } } })).toBe(1);
        },
      };
    },
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const { reads, write, advanceMs } = await cases[name]!();
    const before: string[] = [];
    for (const path of reads) before.push(await answer(cached, path));
    // Warm: the second read of each is a hit.
    const hitsBefore = await hits();
    for (const [i, path] of reads.entries()) expect(await answer(cached, path)).toBe(before[i]);
    expect(await hits()).toBe(hitsBefore + reads.length);

    await write();
    if (advanceMs) for (const t of [cached, uncached]) t.clock.advance(advanceMs);
    const after = await Promise.all(reads.map((path) => answer(cached, path)));
    const truth = await Promise.all(reads.map((path) => answer(uncached, path)));
    expect(after).toEqual(truth);
    // The write changed some answer: otherwise the case proves nothing.
    expect(after).not.toEqual(before);
    if (advanceMs) for (const t of [cached, uncached]) t.clock.reset();
  });

  it('answers the same body and ETag from the cache as without it, and 304 to If-None-Match', async () => {
    const { reads } = await listedDoctor();
    for (const path of reads) {
      const first = await cached.app.inject({ method: 'GET', url: `${API}/${path}` });
      const hit = await cached.app.inject({ method: 'GET', url: `${API}/${path}` });
      const plain = await uncached.app.inject({ method: 'GET', url: `${API}/${path}` });
      expect(hit.body).toBe(plain.body);
      expect(hit.headers.etag).toBe(first.headers.etag);
      expect(hit.headers.etag).toBe(plain.headers.etag);
      const notModified = await cached.app.inject({ method: 'GET', url: `${API}/${path}`, headers: { 'if-none-match': String(hit.headers.etag) } });
      expect(notModified.statusCode).toBe(304);
    }
  });

  it('keeps page links to the URL asked for: two URLs of one cached page answer their own next/previous', async () => {
    for (let i = 0; i < 3; i += 1) await createDoctor(cached.db, { lastName: `Linked${i}` });
    const a = await cached.app.inject({ method: 'GET', url: `${API}/doctor/list/?pageSize=1&page=2` });
    const b = await cached.app.inject({ method: 'GET', url: `${API}/public-portal/list/doctor/?page=2&pageSize=1` });
    expect(a.json<{ next: string }>().next).toContain('/doctor/list/');
    expect(b.json<{ next: string }>().next).toContain('/public-portal/list/doctor/');
  });

  it('a list URL with parameters the list does not know (kept in its links) is not cached: junk cannot fill the cache', async () => {
    const reads = async () => (await cacheReads.get()).values.reduce((sum, value) => sum + value.value, 0);
    const before = await reads();
    for (let i = 0; i < 2; i += 1) expect((await cached.app.inject({ method: 'GET', url: `${API}/doctor/list/?pageSize=1&junk=${i}` })).statusCode).toBe(200);
    expect(await reads()).toBe(before);
    await cached.app.inject({ method: 'GET', url: `${API}/doctor/list/?pageSize=1` });
    expect(await reads()).toBe(before + 1);
  });

  it('a doctor’s own profile and a booking never read the cache (they must see their own writes inside the transaction)', async () => {
    const { doctor } = await listedDoctor();
    const patient = await loginAs(cached, 'patient');
    await answer(cached, slotsOf(doctor.profileId));
    // The slot is taken in the database behind the cache's back: the booking still refuses it.
    await cached.db.appointment.create({
      data: { doctorId: doctor.profileId, patientId: (await loginAs(cached, 'patient')).profileId, startsAt: new Date(at('09:00')), endsAt: new Date(at('09:30')), status: 'confirmed' },
    });
    const booked = await call(cached.app, 'POST', 'appointment/patient/', { headers: patient.headers, payload: { doctorId: doctor.profileId, startsAt: at('09:00'), type: 'online' } });
    expect(booked.statusCode).toBe(409);
    const me = await call(cached.app, 'GET', 'doctor/profile/me/', { headers: bearer(await login(cached.app, doctor.user)) });
    expect(me.statusCode).toBe(200);
  });
});
