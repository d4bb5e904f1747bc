// Doctor applications: apply (JSON or multipart with a PDF), one open application per user, admins mailed, lists per role, approve/reject in one transaction.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { createDesignation, createSpecialization } from '../../helpers/directory.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { multipart, PDF, TEXT } from '../../helpers/upload-fixtures.ts';

interface ApplicationBody {
  id: string;
  userId: string;
  licenseNumber: string;
  bio: string;
  specializationIds: string[];
  designationIds: string[];
  yearsOfExperience: number;
  documentUrl: string | null;
  status: string;
  note: string | null;
  createdAt: string;
  reviewedAt: string | null;
}
interface Page {
  count: number;
  results: ApplicationBody[];
}

const OPS = `${API}/operations`;
const APPLY = `${OPS}/apply/to-be/doctor/`;

const t = useTestApp();
let admin1: Actor<'admin'>;
let admin2: Actor<'admin'>;
let spec: { id: string };
let desig: { id: string };

beforeAll(async () => {
  admin1 = await loginAs(t, 'admin');
  admin2 = await loginAs(t, 'admin');
  spec = await createSpecialization(t.db);
  desig = await createDesignation(t.db);
});

const body = () => ({ licenseNumber: `LIC-${randomUUID().slice(0, 6)}`, bio: 'Twenty years\nof care', specializationIds: [spec.id], designationIds: [desig.id], yearsOfExperience: 20 });
const apply = (caller: Actor, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: APPLY, headers: caller.headers, payload });
const decide = (caller: Actor, id: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'PATCH', url: `${OPS}/applications/${id}/`, headers: caller.headers, payload });
const listOf = (caller: Actor, query = '') => t.app.inject({ method: 'GET', url: `${OPS}/applications/${query}`, headers: caller.headers });

describe('POST operations/apply/to-be/doctor/', () => {
  it('a patient applies as JSON: 201 pending, every active admin is mailed; a second open application is 409', async () => {
    const patient = await loginAs(t, 'patient');
    const payload = body();
    const response = await apply(patient, payload);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<ApplicationBody>()).toMatchObject({ ...payload, userId: patient.user.id, status: 'pending', documentUrl: null, note: null, reviewedAt: null });
    for (const admin of [admin1, admin2]) {
      const mail = await t.mail.waitFor((message) => message.to === admin.user.email && message.text.includes(payload.licenseNumber));
      expect(mail.subject).toBe('New doctor application');
      expect(mail.text).toContain(patient.user.email);
    }
    expectProblem(await apply(patient, body()), 409, 'conflict');
  });

  it('one open application per user under concurrency: of five at once, one is 201 and four are 409', async () => {
    const patient = await loginAs(t, 'patient');
    const answers = await Promise.all(Array.from({ length: 5 }, () => apply(patient, body())));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await t.db.doctorApplication.count({ where: { userId: patient.user.id } })).toBe(1);
  });

  it('takes multipart with comma-separated ids and a real PDF, visible to the applicant and admins only', async () => {
    const patient = await loginAs(t, 'patient');
    const other = await loginAs(t, 'patient');
    const form = multipart(
      { licenseNumber: 'LIC-FORM', specializationIds: spec.id, designationIds: JSON.stringify([desig.id]), yearsOfExperience: '3' },
      { field: 'document', filename: 'license.pdf', contentType: 'application/pdf', bytes: PDF },
    );
    const response = await t.app.inject({ method: 'POST', url: APPLY, headers: { ...patient.headers, ...form.headers }, payload: form.payload });
    expect(response.statusCode, response.body).toBe(201);
    const application = response.json<ApplicationBody>();
    expect(application).toMatchObject({ specializationIds: [spec.id], designationIds: [desig.id], yearsOfExperience: 3, bio: '' });
    const documentPath = new URL(application.documentUrl!, 'http://x').pathname;
    for (const caller of [patient, admin1]) expect((await t.app.inject({ method: 'GET', url: documentPath, headers: caller.headers })).statusCode).toBe(200);
    expectProblem(await t.app.inject({ method: 'GET', url: documentPath, headers: other.headers }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: documentPath }), 404, 'not_found');
  });

  it('refuses a text document (415) leaving no row, and bad or unknown fields (400)', async () => {
    const patient = await loginAs(t, 'patient');
    const before = await t.db.mediaFile.count();
    const form = multipart({ licenseNumber: 'L', specializationIds: spec.id, yearsOfExperience: '1' }, { field: 'document', filename: 'x.pdf', contentType: 'application/pdf', bytes: TEXT });
    expectProblem(await t.app.inject({ method: 'POST', url: APPLY, headers: { ...patient.headers, ...form.headers }, payload: form.payload }), 415, 'unsupported_media_type');
    expect(await t.db.mediaFile.count()).toBe(before);
    expect(await t.db.doctorApplication.count({ where: { userId: patient.user.id } })).toBe(0);

    expectFieldError(await apply(patient, { ...body(), specializationIds: [] }), 'specializationIds');
    expectFieldError(await apply(patient, { ...body(), specializationIds: [randomUUID()] }), 'specializationIds');
    expectFieldError(await apply(patient, { ...body(), designationIds: [randomUUID()] }), 'designationIds');
    expectFieldError(await apply(patient, { ...body(), status: 'approved' }), 'status');
    expectFieldError(await apply(patient, { ...body(), licenseNumber: 'L\u0000' }), 'licenseNumber');
    expectFieldError(await apply(patient, { ...body(), yearsOfExperience: -2 }), 'yearsOfExperience');
  });

  it('is for patients: 401 anonymous, 403 doctors and admins', async () => {
    expectProblem(await t.app.inject({ method: 'POST', url: APPLY, payload: body() }), 401, 'unauthorized');
    expectProblem(await apply(await loginAs(t, 'doctor'), body()), 403, 'forbidden');
    expectProblem(await apply(admin1, body()), 403, 'forbidden');
  });
});

describe('GET operations/applications/ and PATCH operations/applications/{id}/', () => {
  it('applicants see their own; admins see all and filter by status', async () => {
    const a = await loginAs(t, 'patient');
    const b = await loginAs(t, 'patient');
    const aId = (await apply(a, body())).json<ApplicationBody>().id;
    const bId = (await apply(b, body())).json<ApplicationBody>().id;
    expect((await listOf(a)).json<Page>().results.map((x) => x.id)).toEqual([aId]);
    expect((await listOf(b)).json<Page>().results.map((x) => x.id)).toEqual([bId]);
    const all = (await listOf(admin1, '?pageSize=100')).json<Page>().results.map((x) => x.id);
    expect(all).toEqual(expect.arrayContaining([aId, bId]));
    await decide(admin1, bId, { status: 'rejected' });
    const pending = (await listOf(admin1, '?status=pending&pageSize=100')).json<Page>().results;
    expect(pending.every((x) => x.status === 'pending')).toBe(true);
    expect(pending.map((x) => x.id)).toContain(aId);
    expect(pending.map((x) => x.id)).not.toContain(bId);
    expectProblem(await listOf(admin1, '?status=bogus'), 400, 'validation_failed');
    expectProblem(await t.app.inject({ method: 'GET', url: `${OPS}/applications/` }), 401, 'unauthorized');
  });

  it('approval makes the applicant a doctor with a profile from the application, effective on the next request, and mails them', async () => {
    const applicant = await loginAs(t, 'patient');
    const payload = body();
    const id = (await apply(applicant, payload)).json<ApplicationBody>().id;
    const response = await decide(admin1, id, { status: 'approved', note: 'Welcome' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<ApplicationBody>()).toMatchObject({ status: 'approved', note: 'Welcome' });
    expect(response.json<ApplicationBody>().reviewedAt).not.toBeNull();

    // The same access token now works on doctor routes: the role is read per request.
    const profile = await t.app.inject({ method: 'GET', url: `${API}/doctor/profile/me/`, headers: applicant.headers });
    expect(profile.statusCode, profile.body).toBe(200);
    expect(profile.json()).toMatchObject({ bio: payload.bio, yearsOfExperience: 20, specializations: [{ id: spec.id }], designations: [{ id: desig.id }] });
    expect((await t.app.inject({ method: 'GET', url: `${API}/doctor/profile/${applicant.user.email}` })).statusCode).toBe(200);
    const mail = await t.mail.waitFor((message) => message.to === applicant.user.email && message.subject.includes('approved'));
    expect(mail.text).toContain('Welcome');

    expectProblem(await decide(admin1, id, { status: 'rejected' }), 422, 'invalid_transition');
  });

  it('rejection mails the applicant, who may apply again', async () => {
    const applicant = await loginAs(t, 'patient');
    const id = (await apply(applicant, body())).json<ApplicationBody>().id;
    expect((await decide(admin2, id, { status: 'rejected', note: 'Missing license scan' })).statusCode).toBe(200);
    const mail = await t.mail.waitFor((message) => message.to === applicant.user.email && message.subject.includes('not approved'));
    expect(mail.text).toContain('Missing license scan');
    expect(await t.db.user.findUniqueOrThrow({ where: { id: applicant.user.id }, select: { role: true } })).toEqual({ role: 'patient' });
    expect((await apply(applicant, body())).statusCode).toBe(201);
  });

  it('only admins decide (403), unknown ids are 404, bodies are strict (400)', async () => {
    const applicant = await loginAs(t, 'patient');
    const id = (await apply(applicant, body())).json<ApplicationBody>().id;
    expectProblem(await decide(applicant, id, { status: 'approved' }), 403, 'forbidden');
    expectProblem(await decide(await loginAs(t, 'doctor'), id, { status: 'approved' }), 403, 'forbidden');
    expectProblem(await decide(admin1, randomUUID(), { status: 'approved' }), 404, 'not_found');
    expectFieldError(await decide(admin1, id, { status: 'pending' }), 'status');
    expectFieldError(await decide(admin1, id, { status: 'approved', userId: randomUUID() }), 'userId');
    expectFieldError(await decide(admin1, id, { status: 'approved', note: 'x\u0000' }), 'note');
  });
});
