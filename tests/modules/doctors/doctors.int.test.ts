// The public doctor list (search, filters, orderings, pages), profiles by email, and the doctor's own profile.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { doctorPageSchema } from '../../../src/modules/doctors/doctors.schemas.ts';
import { createDoctor, loginAs, type Actor, type Member } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { createDesignation, createSpecialization, type CatalogueEntry } from '../../helpers/directory.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';

interface DoctorBody {
  id: string;
  user: { id: string; email: string; firstName: string; lastName: string };
  fee: string;
  specializations: { id: string; name: string; slug: string }[];
  designations: { id: string; name: string; slug: string }[];
  rating: { average: number | null; count: number };
  acceptingPatients: boolean;
  timezone: string;
  bio: string;
  yearsOfExperience: number;
  autoConfirm: boolean;
  avatarUrl: string | null;
}
interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: DoctorBody[];
}

const t = useTestApp();
const tag = randomUUID().slice(0, 6);
let cardio: CatalogueEntry;
let derm: CatalogueEntry;
let senior: CatalogueEntry;
const docs: Member[] = [];
let hidden: Member;

const DOCTOR = `${API}/doctor`;
const list = async (query: string) => {
  const response = await t.app.inject({ method: 'GET', url: `${DOCTOR}/list/?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
};

beforeAll(async () => {
  cardio = await createSpecialization(t.db, `Cardiology ${tag}`);
  derm = await createSpecialization(t.db, `Dermatology ${tag}`);
  senior = await createDesignation(t.db, `Senior ${tag}`);
  // Last names carry the tag so searches only see this file's doctors.
  docs.push(await createDoctor(t.db, { firstName: 'Ann', lastName: `Zed${tag}`, fee: '100.00', rating: 4.5, specializationIds: [cardio.id], designationIds: [senior.id] }));
  docs.push(await createDoctor(t.db, { firstName: 'Bob', lastName: `Alpha${tag}`, fee: '9.50', rating: null, specializationIds: [derm.id] }));
  docs.push(await createDoctor(t.db, { firstName: 'Cid', lastName: `Alpha${tag}`, fee: '50.00', rating: 3, specializationIds: [cardio.id, derm.id] }));
  docs.push(await createDoctor(t.db, { firstName: 'Dee', lastName: `Mid${tag}`, fee: '75.25', rating: 5 }));
  hidden = await createDoctor(t.db, { firstName: 'Hid', lastName: `Hidden${tag}`, specializationIds: [cardio.id], deleted: true });
});

describe('GET doctor/list/', () => {
  it('lists visible doctors with relations, fee strings and ratings; hidden ones never', async () => {
    const page = await list(`search=${tag}&pageSize=100`);
    expect(page.count).toBe(4);
    const ann = page.results.find((doc) => doc.id === docs[0]!.profileId)!;
    expect(ann).toMatchObject({
      fee: '100.00',
      rating: { average: 4.5, count: 1 },
      specializations: [{ id: cardio.id, name: cardio.name, slug: cardio.slug }],
      designations: [{ id: senior.id, name: senior.name, slug: senior.slug }],
      user: { firstName: 'Ann', lastName: `Zed${tag}`, email: docs[0]!.user.email },
      acceptingPatients: true,
      timezone: 'UTC',
      avatarUrl: null,
    });
    expect(page.results.map((doc) => doc.id)).not.toContain(hidden.profileId);
    const cid = page.results.find((doc) => doc.id === docs[2]!.profileId)!;
    expect(cid.specializations.map((s) => s.slug)).toEqual([cardio.slug, derm.slug]);
  });

  it('answers exactly its response schema, DoctorPage: every field of the right type and no other', async () => {
    // The page is not encoded by zod at run time (doctors.service.ts): the schema's encode strips
    // unknown keys and rejects wrong types, so an equal result means the body was already exact.
    for (const query of [`search=${tag}&pageSize=100`, `search=${tag}&ordering=fee&pageSize=3`, `search=${tag}&page=9`]) {
      const page = await list(query);
      expect(z.encode(doctorPageSchema, page)).toEqual(page);
    }
  });

  it('searches names, email and specialization names, case-insensitively and with wildcards taken literally', async () => {
    expect((await list(`search=ann`)).results.map((d) => d.id)).toContain(docs[0]!.profileId);
    expect((await list(`search=ALPHA${tag}`)).count).toBe(2);
    expect((await list(`search=${encodeURIComponent(docs[3]!.user.email.toUpperCase())}`)).results.map((d) => d.id)).toEqual([docs[3]!.profileId]);
    const bySpec = await list(`search=${encodeURIComponent(`dermatology ${tag}`)}`);
    expect(bySpec.results.map((d) => d.id).sort()).toEqual([docs[1]!.profileId, docs[2]!.profileId].sort());
    expect((await list(`search=%25${tag}`)).count).toBe(0);
    expect((await list(`search=_${tag}`)).count).toBe(0);
  });

  it('filters by specialization and designation slug', async () => {
    const byCardio = await list(`specialization=${cardio.slug}`);
    expect(byCardio.results.map((d) => d.id).sort()).toEqual([docs[0]!.profileId, docs[2]!.profileId].sort());
    expect((await list(`designation=${senior.slug}`)).results.map((d) => d.id)).toEqual([docs[0]!.profileId]);
    expect((await list(`specialization=${derm.slug}&designation=${senior.slug}`)).count).toBe(0);
    expect((await list(`specialization=no-such-${tag}`)).count).toBe(0);
  });

  it('orders by rating (unrated last both ways), fee numerically, and name (last, then first)', async () => {
    const ids = async (ordering: string) => (await list(`search=${tag}&ordering=${ordering}`)).results.map((d) => d.user.firstName);
    expect(await ids('-rating')).toEqual(['Dee', 'Ann', 'Cid', 'Bob']);
    expect(await ids('rating')).toEqual(['Cid', 'Ann', 'Dee', 'Bob']);
    expect(await ids('fee')).toEqual(['Bob', 'Cid', 'Dee', 'Ann']);
    expect(await ids('-fee')).toEqual(['Ann', 'Dee', 'Cid', 'Bob']);
    expect(await ids('name')).toEqual(['Bob', 'Cid', 'Dee', 'Ann']);
  });

  it('pages with absolute next/previous links that keep every parameter; past the end is empty with the count', async () => {
    const first = await list(`search=${tag}&ordering=fee&pageSize=3`);
    expect(first.count).toBe(4);
    expect(first.results).toHaveLength(3);
    expect(first.previous).toBeNull();
    const next = new URL(first.next!);
    expect(next.protocol).toMatch(/^https?:$/);
    expect(Object.fromEntries(next.searchParams)).toEqual({ search: tag, ordering: 'fee', pageSize: '3', page: '2' });
    const second = (await t.app.inject({ method: 'GET', url: `${next.pathname}${next.search}` })).json<Page>();
    expect(second.results.map((d) => d.user.firstName)).toEqual(['Ann']);
    expect(second.next).toBeNull();
    expect(new URL(second.previous!).searchParams.get('page')).toBe('1');
    const beyond = await list(`search=${tag}&page=9`);
    expect(beyond).toMatchObject({ count: 4, results: [], next: null });
  });

  it('available=YYYY-MM-DD keeps doctors with a free slot that day (windows, validity, time off, bookings, the past), paged and counted', async () => {
    const avail = `Avail${tag}`;
    const [monday, closed, offToday, full] = await Promise.all([
      createDoctor(t.db, { firstName: 'Mon', lastName: avail }),
      createDoctor(t.db, { firstName: 'Closed', lastName: avail, acceptingPatients: false }),
      createDoctor(t.db, { firstName: 'Off', lastName: avail, timezone: 'America/New_York' }),
      createDoctor(t.db, { firstName: 'Valid', lastName: avail }),
    ]);
    for (const doctor of [monday, closed, offToday]) {
      await t.db.$executeRaw`INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, updated_at)
                             VALUES (gen_random_uuid(), ${doctor.profileId}::uuid, 1, '09:00', '12:00', 30, now())`;
    }
    // Valid only until the Monday before: not available on 2030-01-07.
    await t.db.$executeRaw`INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, valid_until, updated_at)
                           VALUES (gen_random_uuid(), ${full.profileId}::uuid, 1, '09:00', '12:00', 30, '2029-12-31', now())`;
    // 09:00-12:00 New York time on Monday 2030-01-07 is 14:00-17:00 UTC.
    await t.db.$executeRaw`INSERT INTO doctor_time_off (id, doctor_id, starts_at, ends_at) VALUES (gen_random_uuid(), ${offToday.profileId}::uuid, '2030-01-07T13:00:00Z', '2030-01-07T18:00:00Z')`;
    // One 30-minute slot on Mondays, booked on 2030-01-07: not available that day, available a week later.
    const booked = await createDoctor(t.db, { firstName: 'Booked', lastName: avail });
    await t.db.$executeRaw`INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, updated_at)
                           VALUES (gen_random_uuid(), ${booked.profileId}::uuid, 1, '09:00', '09:30', 30, now())`;
    const patient = await loginAs(t, 'patient');
    await t.db.appointment.create({
      data: { doctorId: booked.profileId, patientId: patient.profileId, startsAt: new Date('2030-01-07T09:00:00Z'), endsAt: new Date('2030-01-07T09:30:00Z'), status: 'confirmed' },
    });
    const names = async (date: string, extra = '') => (await list(`search=${avail}&available=${date}${extra}`)).results.map((d) => d.user.firstName).sort();
    expect(await names('2030-01-07')).toEqual(['Mon']);
    expect(await names('2030-01-14')).toEqual(['Booked', 'Mon', 'Off']);
    expect(await names('2029-12-31')).toEqual(['Booked', 'Mon', 'Off', 'Valid']);
    expect(await names('2030-01-08')).toEqual([]);
    // Slots in the past are not free.
    expect(await names('2020-01-06')).toEqual([]);
    // Pages and counts are of the available doctors.
    const page = await list(`search=${avail}&available=2030-01-14&pageSize=2&ordering=name`);
    expect(page.count).toBe(3);
    expect(page.results.map((d) => d.user.firstName)).toEqual(['Booked', 'Mon']);
    expect(new URL(page.next!).searchParams.get('available')).toBe('2030-01-14');
    expectProblem(await t.app.inject({ method: 'GET', url: `${DOCTOR}/list/?available=2030-02-30` }), 400, 'validation_failed');
    // Dates are bounded to the years 2000..2100.
    expectFieldError(await t.app.inject({ method: 'GET', url: `${DOCTOR}/list/?available=9999-12-31` }), 'query.available');
  });

  it('refuses invalid paging, ordering, slugs and control characters with 400', async () => {
    for (const query of ['page=0', 'pageSize=101', 'page=abc', 'ordering=bogus', 'specialization=Bad%20Slug', 'search=a%00b', 'search=a%0Ab']) {
      expectProblem(await t.app.inject({ method: 'GET', url: `${DOCTOR}/list/?${query}` }), 400, 'validation_failed');
    }
  });
});

describe('GET doctor/profile/{email}', () => {
  it('answers a visible doctor for the email in any case, without a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: `${DOCTOR}/profile/${docs[0]!.user.email.toUpperCase()}` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<DoctorBody>().id).toBe(docs[0]!.profileId);
  });

  it('404 for hidden doctors, patients and unknown emails; 400 for a non-email', async () => {
    const patient = await loginAs(t, 'patient');
    for (const email of [hidden.user.email, patient.user.email, `nobody-${tag}@example.com`]) {
      expectProblem(await t.app.inject({ method: 'GET', url: `${DOCTOR}/profile/${email}/` }), 404, 'not_found');
    }
    expectProblem(await t.app.inject({ method: 'GET', url: `${DOCTOR}/profile/not-an-email` }), 400, 'validation_failed');
  });
});

describe('doctor/profile/me/', () => {
  let me: Actor<'doctor'>;
  let other: Actor<'doctor'>;
  beforeAll(async () => {
    me = await loginAs(t, 'doctor', { lastName: `Me${tag}` });
    other = await loginAs(t, 'doctor', { lastName: `Other${tag}`, specializationIds: [derm.id] });
  });
  const url = `${DOCTOR}/profile/me/`;

  it('GET answers the caller’s own profile', async () => {
    const response = await t.app.inject({ method: 'GET', url, headers: me.headers });
    expect(response.json<DoctorBody>().id).toBe(me.profileId);
  });

  it('PATCH changes only what is sent, fee as a two-place string; PUT replaces everything', async () => {
    const patched = await t.app.inject({ method: 'PATCH', url, headers: me.headers, payload: { fee: '42.5', specializationIds: [cardio.id, derm.id], bio: 'Line one\nLine two' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json<DoctorBody>()).toMatchObject({ fee: '42.50', bio: 'Line one\nLine two', timezone: 'UTC' });
    expect(patched.json<DoctorBody>().specializations.map((s) => s.id).sort()).toEqual([cardio.id, derm.id].sort());

    const full = {
      bio: 'New bio',
      fee: 80,
      yearsOfExperience: 12,
      specializationIds: [derm.id],
      designationIds: [senior.id],
      acceptingPatients: false,
      autoConfirm: true,
      timezone: 'Europe/Paris',
    };
    const put = await t.app.inject({ method: 'PUT', url, headers: me.headers, payload: full });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json<DoctorBody>()).toMatchObject({
      bio: 'New bio',
      fee: '80.00',
      yearsOfExperience: 12,
      specializations: [{ id: derm.id }],
      designations: [{ id: senior.id }],
      acceptingPatients: false,
      autoConfirm: true,
      timezone: 'Europe/Paris',
    });
    const { bio: _bio, ...partial } = full;
    expectFieldError(await t.app.inject({ method: 'PUT', url, headers: me.headers, payload: partial }), 'bio');
    // The other doctor is untouched.
    const theirs = await t.app.inject({ method: 'GET', url, headers: other.headers });
    expect(theirs.json<DoctorBody>()).toMatchObject({ id: other.profileId, specializations: [{ id: derm.id }], fee: '50.00' });
  });

  it('refuses read-only and unknown fields, bad fees, zones, ids and control characters with 400', async () => {
    for (const [payload, field] of [
      [{ rating: 5 }, 'rating'],
      [{ userId: other.user.id }, 'userId'],
      [{ fee: '12.345' }, 'fee'],
      [{ fee: '-1' }, 'fee'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ specializationIds: ['nope'] }, 'specializationIds.0'],
      [{ specializationIds: [randomUUID()] }, 'specializationIds'],
      [{ designationIds: [randomUUID()] }, 'designationIds'],
      [{ bio: 'bad\u0000bio' }, 'bio'],
      [{ yearsOfExperience: -1 }, 'yearsOfExperience'],
    ] as const) {
      expectFieldError(await t.app.inject({ method: 'PATCH', url, headers: me.headers, payload }), field);
    }
  });

  it('is for doctors only: 401 anonymous, 403 patient and admin', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url }), 401, 'unauthorized');
    for (const role of ['patient', 'admin'] as const) {
      const caller = await loginAs(t, role);
      expectProblem(await t.app.inject({ method: 'GET', url, headers: caller.headers }), 403, 'forbidden');
      expectProblem(await t.app.inject({ method: 'PATCH', url, headers: caller.headers, payload: { bio: 'x' } }), 403, 'forbidden');
      expectProblem(await t.app.inject({ method: 'DELETE', url, headers: caller.headers }), 403, 'forbidden');
    }
  });

  it('DELETE hides the profile from the list and the public profile; the owner still reads it', async () => {
    const leaving = await loginAs(t, 'doctor', { lastName: `Leaving${tag}` });
    expect((await list(`search=Leaving${tag}`)).count).toBe(1);
    expect((await t.app.inject({ method: 'DELETE', url, headers: leaving.headers })).statusCode).toBe(204);
    expect((await list(`search=Leaving${tag}`)).count).toBe(0);
    expectProblem(await t.app.inject({ method: 'GET', url: `${DOCTOR}/profile/${leaving.user.email}` }), 404, 'not_found');
    const own = await t.app.inject({ method: 'GET', url, headers: leaving.headers });
    expect(own.json<DoctorBody>()).toMatchObject({ id: leaving.profileId, acceptingPatients: false });
    // The other doctor is still listed.
    expect((await list(`search=Other${tag}`)).count).toBe(1);
  });
});
