// Patients: the role-scoped list and search, records by email with object-level checks, own profile, audit of reads, erasure and re-registration.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { login, loginAs, patientIdOf, type Actor } from '../../helpers/actors.ts';
import { registerAndActivate } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem, requestId } from '../../helpers/http.ts';
import { createAppointment } from '../../helpers/scheduling.ts';
import { setPatientCountCap } from '../../../src/modules/patients/patients.queries.ts';

interface PatientBody {
  id: string;
  user: { id: string; email: string; firstName: string; lastName: string };
  dateOfBirth: string | null;
  gender: string;
  phone: string | null;
  address: string | null;
  bloodGroup: string | null;
  emergencyContact: { name?: string; phone?: string; relationship?: string } | null;
  avatarUrl: string | null;
  createdAt: string;
  updatedAt: string;
}
interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: PatientBody[];
}

const PATIENTS = `${API}/patient/patients`;
const tag = randomUUID().slice(0, 6);

const t = useTestApp();
let admin: Actor<'admin'>;
let p1: Actor<'patient'>;
let p2: Actor<'patient'>;
let p3: Actor<'patient'>;
let d1: Actor<'doctor'>;
let d2: Actor<'doctor'>;

beforeAll(async () => {
  admin = await loginAs(t, 'admin');
  p1 = await loginAs(t, 'patient', { firstName: `Pia${tag}` });
  p2 = await loginAs(t, 'patient', { firstName: `Pat${tag}` });
  p3 = await loginAs(t, 'patient', { firstName: `Pru${tag}` });
  d1 = await loginAs(t, 'doctor');
  d2 = await loginAs(t, 'doctor');
  // d1 has seen p1 and p2; d2 only p3.
  await createAppointment(t.db, d1.profileId, p1.profileId);
  await createAppointment(t.db, d1.profileId, p2.profileId);
  await createAppointment(t.db, d2.profileId, p3.profileId);
});

const get = (url: string, caller?: Actor, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers: { ...caller?.headers, ...headers } });

describe('GET patient/patients/', () => {
  it('admin sees every patient and can search names and email, case-insensitively', async () => {
    const page = (await get(`${PATIENTS}/?search=${tag.toUpperCase()}`, admin)).json<Page>();
    expect(page.count).toBe(3);
    expect(page.results.map((p) => p.user.firstName).sort()).toEqual([`Pat${tag}`, `Pia${tag}`, `Pru${tag}`]);
    const byEmail = (await get(`${PATIENTS}?search=${encodeURIComponent(p2.user.email.toUpperCase())}`, admin)).json<Page>();
    expect(byEmail.results.map((p) => p.user.id)).toEqual([p2.user.id]);
    expect((await get(`${PATIENTS}?search=%25${tag}`, admin)).json<Page>().count).toBe(0);
  });

  it('a doctor sees only patients with an appointment with them', async () => {
    const mine = (await get(`${PATIENTS}/?search=${tag}`, d1)).json<Page>();
    expect(mine.results.map((p) => p.user.id).sort()).toEqual([p1.user.id, p2.user.id].sort());
    const theirs = (await get(`${PATIENTS}/`, d2)).json<Page>();
    expect(theirs.results.map((p) => p.user.id)).toEqual([p3.user.id]);
  });

  it('pages with absolute links', async () => {
    const page = (await get(`${PATIENTS}/?search=${tag}&pageSize=2`, admin)).json<Page>();
    expect(page.results).toHaveLength(2);
    expect(Object.fromEntries(new URL(page.next!).searchParams)).toEqual({ search: tag, pageSize: '2', page: '2' });
    expect((await get(`${PATIENTS}/?search=${tag}&page=5`, admin)).json<Page>()).toMatchObject({ count: 3, results: [] });
  });

  it('counts exactly up to the cap, then answers a lower bound with countIsEstimate: true', async () => {
    const exact = (await get(`${PATIENTS}/?search=${tag}`, admin)).json<Page>();
    expect(exact.count).toBe(3);
    expect(exact).not.toHaveProperty('countIsEstimate');
    try {
      setPatientCountCap(3);
      const atCap = (await get(`${PATIENTS}/?search=${tag}`, admin)).json<Page>();
      expect(atCap.count).toBe(3);
      expect(atCap).not.toHaveProperty('countIsEstimate');
      setPatientCountCap(2);
      const capped = (await get(`${PATIENTS}/?search=${tag}&pageSize=1`, admin)).json<Page>();
      expect(capped).toMatchObject({ count: 2, countIsEstimate: true });
      expect(capped.results).toHaveLength(1);
      expect(new URL(capped.next!).searchParams.get('page')).toBe('2');
      // A page reaching past the cap raises the lower bound to what it has seen.
      const whole = (await get(`${PATIENTS}/?search=${tag}`, admin)).json<Page>();
      expect(whole).toMatchObject({ count: 3, countIsEstimate: true });
      expect(whole.results).toHaveLength(3);
    } finally {
      setPatientCountCap();
    }
  });

  it('an empty page past the end of a capped search answers the cap as the bound, with no next page', async () => {
    try {
      setPatientCountCap(2);
      const past = (await get(`${PATIENTS}/?search=${tag}&page=5`, admin)).json<Page>();
      expect(past).toMatchObject({ count: 2, countIsEstimate: true, next: null, results: [] });
    } finally {
      setPatientCountCap();
    }
  });

  it('orders by last then first name, and patients with the same name keep one order across pages', async () => {
    const same = `Same${tag}`;
    const twins = await Promise.all([1, 2, 3].map(() => loginAs(t, 'patient', { firstName: same, lastName: same })));
    const earlier = await loginAs(t, 'patient', { firstName: `Z${same}`, lastName: `A${same}` });
    const pages = await Promise.all(
      [1, 2, 3, 4].map(async (page) => (await get(`${PATIENTS}/?search=${same}&pageSize=1&page=${page}`, admin)).json<Page>()),
    );
    const listed = pages.flatMap((page) => page.results.map((p) => p.id));
    expect(listed[0]).toBe(earlier.profileId);
    expect(new Set(listed.slice(1))).toEqual(new Set(twins.map((twin) => twin.profileId)));
    expect(listed).toEqual((await get(`${PATIENTS}/?search=${same}`, admin)).json<Page>().results.map((p) => p.id));
  });

  it('patients get 403, anonymous 401; bad queries 400', async () => {
    expectProblem(await get(`${PATIENTS}/`, p1), 403, 'forbidden');
    expectProblem(await get(`${PATIENTS}/`), 401, 'unauthorized');
    expectProblem(await get(`${PATIENTS}/?search=a%00b`, admin), 400, 'validation_failed');
    expectProblem(await get(`${PATIENTS}/?pageSize=0`, admin), 400, 'validation_failed');
  });

  it('records one patient.read audit row per listed patient, with actor, subject user, route and request id', async () => {
    const id = requestId();
    const page = (await get(`${PATIENTS}/?search=${tag}`, d1, { 'x-request-id': id })).json<Page>();
    const rows = await t.db.auditEvent.findMany({
      where: { requestId: id },
      select: { action: true, actorId: true, actorRole: true, subjectType: true, subjectId: true, subjectUserId: true, metadata: true },
    });
    expect(rows).toHaveLength(page.results.length);
    expect(rows.map((row) => [row.subjectId, row.subjectUserId]).sort()).toEqual(page.results.map((p) => [p.id, p.user.id]).sort());
    for (const row of rows) {
      expect(row).toMatchObject({ action: 'patient.read', actorId: d1.user.id, actorRole: 'doctor', subjectType: 'patient', metadata: { route: '/v1/api/patient/patients' } });
    }
  });
});

describe('GET patient/patients/{email}/', () => {
  it('answers the admin, a doctor with an appointment, and the patient (in any case of the email)', async () => {
    for (const caller of [admin, d1, p1]) {
      const response = await get(`${PATIENTS}/${p1.user.email.toUpperCase()}/`, caller);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<PatientBody>().user.id).toBe(p1.user.id);
    }
  });

  it('404 to another patient, a doctor without an appointment, and for unknown emails; 400 for a non-email', async () => {
    expectProblem(await get(`${PATIENTS}/${p1.user.email}/`, p2), 404, 'not_found');
    expectProblem(await get(`${PATIENTS}/${p1.user.email}`, d2), 404, 'not_found');
    expectProblem(await get(`${PATIENTS}/nobody-${tag}@example.com`, admin), 404, 'not_found');
    expectProblem(await get(`${PATIENTS}/${d1.user.email}`, admin), 404, 'not_found');
    expectProblem(await get(`${PATIENTS}/not-an-email`, admin), 400, 'validation_failed');
    expectProblem(await get(`${PATIENTS}/${p1.user.email}`), 401, 'unauthorized');
  });

  it('audits reads by others but not the patient’s own', async () => {
    const byDoctor = requestId();
    await get(`${PATIENTS}/${p1.user.email}`, d1, { 'x-request-id': byDoctor });
    const select = { action: true, actorId: true, subjectId: true, subjectUserId: true, metadata: true, ip: true } as const;
    expect(await t.db.auditEvent.findMany({ where: { requestId: byDoctor }, select })).toEqual([
      {
        action: 'patient.read',
        actorId: d1.user.id,
        subjectId: p1.profileId,
        subjectUserId: p1.user.id,
        metadata: { route: '/v1/api/patient/patients/:patient' },
        ip: expect.any(String),
      },
    ]);
    const bySelf = requestId();
    await get(`${PATIENTS}/${p1.user.email}`, p1, { 'x-request-id': bySelf });
    expect(await t.db.auditEvent.count({ where: { requestId: bySelf } })).toBe(0);
    const denied = requestId();
    await get(`${PATIENTS}/${p1.user.email}`, p2, { 'x-request-id': denied });
    expect(await t.db.auditEvent.count({ where: { requestId: denied, action: 'patient.read' } })).toBe(0);
  });
});

describe('patient/patients/me/', () => {
  const ME = `${PATIENTS}/me/`;

  it('GET answers the caller’s own profile', async () => {
    const response = await get(ME, p2);
    expect(response.json<PatientBody>()).toMatchObject({ user: { id: p2.user.id, email: p2.user.email }, gender: 'unknown', bloodGroup: null, avatarUrl: null });
  });

  it('PATCH changes only what is sent; PUT replaces everything', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: ME,
      headers: p2.headers,
      payload: { dateOfBirth: '1990-04-01', bloodGroup: 'AB-', emergencyContact: { name: 'Kim', phone: '+15550001111', relationship: 'sister' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json<PatientBody>()).toMatchObject({
      dateOfBirth: '1990-04-01',
      bloodGroup: 'AB-',
      emergencyContact: { name: 'Kim', phone: '+15550001111', relationship: 'sister' },
      gender: 'unknown',
    });
    const full = {
      firstName: 'Pat',
      lastName: 'Smith',
      dateOfBirth: null,
      gender: 'female',
      phone: '+15551234567',
      address: '1 Main St\nSpringfield',
      bloodGroup: 'O+',
      emergencyContact: null,
    };
    const put = await t.app.inject({ method: 'PUT', url: ME, headers: p2.headers, payload: full });
    expect(put.statusCode, put.body).toBe(200);
    const { firstName, lastName, ...profile } = full;
    expect(put.json<PatientBody>()).toMatchObject({ ...profile, user: { firstName, lastName } });
    const { address: _address, ...partial } = full;
    expectFieldError(await t.app.inject({ method: 'PUT', url: ME, headers: p2.headers, payload: partial }), 'address');
    // The other patient is untouched.
    expect((await get(ME, p3)).json<PatientBody>()).toMatchObject({ gender: 'unknown', phone: null, user: { firstName: `Pru${tag}` } });
  });

  it('refuses read-only and unknown fields, bad values and control characters with 400', async () => {
    for (const [payload, field] of [
      [{ email: 'x@example.com' }, 'email'],
      [{ id: randomUUID() }, 'id'],
      [{ isActive: false }, 'isActive'],
      [{ gender: 'robot' }, 'gender'],
      [{ bloodGroup: 'C+' }, 'bloodGroup'],
      [{ phone: '555-1234' }, 'phone'],
      [{ dateOfBirth: '2999-01-01' }, 'dateOfBirth'],
      [{ dateOfBirth: '1990-13-01' }, 'dateOfBirth'],
      [{ dateOfBirth: '1899-12-31' }, 'dateOfBirth'],
      [{ dateOfBirth: '10000-01-01' }, 'dateOfBirth'],
      [{ address: 'a'.repeat(501) }, 'address'],
      [{ address: 'bad\u0000address' }, 'address'],
      [{ firstName: 'Bad\nName' }, 'firstName'],
      [{ emergencyContact: { name: 'x', age: 3 } }, 'emergencyContact.age'],
    ] as const) {
      expectFieldError(await t.app.inject({ method: 'PATCH', url: ME, headers: p3.headers, payload }), field);
    }
  });

  it('is for patients only', async () => {
    for (const caller of [admin, d1]) {
      expectProblem(await get(ME, caller), 403, 'forbidden');
      expectProblem(await t.app.inject({ method: 'PATCH', url: ME, headers: caller.headers, payload: {} }), 403, 'forbidden');
      expectProblem(await t.app.inject({ method: 'DELETE', url: ME, headers: caller.headers }), 403, 'forbidden');
    }
    expectProblem(await get(ME), 401, 'unauthorized');
  });
});

describe('DELETE patient/patients/me/ (erasure)', () => {
  it('erases the personal fields, revokes sessions, frees the email for a new account; appointments stay', async () => {
    const account = await registerAndActivate(t);
    const tokens = await login(t.app, account);
    const headers = { authorization: `Bearer ${tokens.access}` };
    await t.app.inject({
      method: 'PATCH',
      url: `${PATIENTS}/me/`,
      headers,
      payload: { firstName: 'Gone', lastName: 'Soon', phone: '+15559990000', address: 'Somewhere', dateOfBirth: '1980-01-01', emergencyContact: { name: 'X' } },
    });
    const patientId = await patientIdOf(t.db, account.id);
    const appointment = await createAppointment(t.db, d1.profileId, patientId);

    const erased = await t.app.inject({ method: 'DELETE', url: `${PATIENTS}/me/`, headers });
    expect(erased.statusCode, erased.body).toBe(204);

    const user = await t.db.user.findUniqueOrThrow({ where: { id: account.id }, select: { email: true, firstName: true, lastName: true, phone: true, isActive: true, deletedAt: true } });
    expect(user).toMatchObject({ firstName: '', lastName: '', phone: null, isActive: false });
    expect(user.email).not.toBe(account.email);
    expect(user.deletedAt).not.toBeNull();
    const patient = await t.db.patient.findUniqueOrThrow({ where: { id: patientId }, select: { phone: true, address: true, dateOfBirth: true, emergencyContact: true, avatarId: true } });
    expect(patient).toEqual({ phone: null, address: null, dateOfBirth: null, emergencyContact: null, avatarId: null });
    expect(await t.db.appointment.count({ where: { id: appointment.id } })).toBe(1);
    expect(await t.db.refreshToken.count({ where: { userId: account.id, revokedAt: null } })).toBe(0);

    // The token no longer works, the refresh token neither, and the password no longer logs in.
    expectProblem(await get(`${PATIENTS}/me/`, undefined, headers), 401, 'token_invalid');
    expectProblem(await t.app.inject({ method: 'POST', url: `${API}/user/token/refresh/`, payload: { refresh: tokens.refresh } }), 401, 'token_invalid');
    expectProblem(await t.app.inject({ method: 'POST', url: `${API}/user/login/`, payload: { email: account.email, password: account.password } }), 401, 'invalid_credentials');
    // Erased patients leave the lists.
    expect((await get(`${PATIENTS}/?search=Gone`, admin)).json<Page>().results.map((p) => p.id)).not.toContain(patientId);

    // The email registers again as a new account.
    const again = await registerAndActivate(t, account.email);
    expect(again.id).not.toBe(account.id);
    const fresh = await login(t.app, again);
    const me = await get(`${PATIENTS}/me/`, undefined, { authorization: `Bearer ${fresh.access}` });
    expect(me.json<PatientBody>()).toMatchObject({ user: { email: account.email }, phone: null });
    expect(me.json<PatientBody>().id).not.toBe(patientId);
  });
});
