// Qualifications: apply as JSON or multipart with a real PDF, 415/413 on bad documents, visibility of statuses and documents, admin review.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { bigPng, JPEG, multipart, PDF, TEXT } from '../../helpers/upload-fixtures.ts';

interface QualificationBody {
  id: string;
  doctorId: string;
  degree: string;
  institution: string;
  year: number;
  documentUrl: string | null;
  status: string;
  note: string | null;
  reviewedAt: string | null;
}

const DOCTOR = `${API}/doctor`;
const APPLY = `${DOCTOR}/qualifications/apply/`;
const FIELDS = { degree: 'MD', institution: 'Uni of Somewhere', year: '2010' };

const t = useTestApp();
let d1: Actor<'doctor'>;
let d2: Actor<'doctor'>;
let patient: Actor<'patient'>;
let admin: Actor<'admin'>;

beforeAll(async () => {
  d1 = await loginAs(t, 'doctor');
  d2 = await loginAs(t, 'doctor');
  patient = await loginAs(t, 'patient');
  admin = await loginAs(t, 'admin');
});

const applyJson = (caller: Actor, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: APPLY, headers: caller.headers, payload });
const applyForm = (caller: Actor, body: { payload: Buffer; headers: Record<string, string> }) =>
  t.app.inject({ method: 'POST', url: APPLY, headers: { ...caller.headers, ...body.headers }, payload: body.payload });
const pdfForm = (bytes = PDF, fields: Record<string, string> = FIELDS) =>
  multipart(fields, { field: 'document', filename: 'diploma.pdf', contentType: 'application/pdf', bytes });
const list = (doctorId: string, caller?: Actor) => t.app.inject({ method: 'GET', url: `${DOCTOR}/${doctorId}/qualifications/`, headers: caller?.headers });

describe('POST doctor/qualifications/apply/', () => {
  it('takes JSON: 201 pending without a document', async () => {
    const response = await applyJson(d1, { degree: 'BSc', institution: 'College', year: 2005 });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<QualificationBody>()).toMatchObject({ doctorId: d1.profileId, degree: 'BSc', year: 2005, status: 'pending', documentUrl: null });
  });

  it('takes multipart with a real PDF: the document is visible to the owner and admins only', async () => {
    const response = await applyForm(d1, pdfForm());
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<QualificationBody>();
    expect(body).toMatchObject({ degree: 'MD', institution: 'Uni of Somewhere', year: 2010, status: 'pending' });
    const documentPath = new URL(body.documentUrl!, 'http://x').pathname;
    const row = await t.db.mediaFile.findUniqueOrThrow({ where: { id: documentPath.split('/').at(-1)! }, select: { kind: true, ownerId: true, contentType: true } });
    expect(row).toEqual({ kind: 'qualification_document', ownerId: d1.user.id, contentType: 'application/pdf' });
    for (const caller of [d1, admin]) {
      const file = await t.app.inject({ method: 'GET', url: documentPath, headers: caller.headers });
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toBe('application/pdf');
      expect(file.headers['cache-control']).toContain('no-store');
      expect(file.rawPayload.equals(PDF)).toBe(true);
    }
    for (const headers of [d2.headers, patient.headers, {}]) {
      expectProblem(await t.app.inject({ method: 'GET', url: documentPath, headers }), 404, 'not_found');
    }
  });

  it('accepts a JPEG document too', async () => {
    const response = await applyForm(d2, multipart(FIELDS, { field: 'document', filename: 'scan.jpg', contentType: 'image/jpeg', bytes: JPEG }));
    expect(response.statusCode, response.body).toBe(201);
  });

  it('refuses a text file named .pdf (415) and a document over 5 MiB (413), leaving no row and no qualification', async () => {
    const before = { media: await t.db.mediaFile.count(), qualifications: await t.db.qualification.count() };
    expectProblem(await applyForm(d1, multipart(FIELDS, { field: 'document', filename: 'fake.pdf', contentType: 'application/pdf', bytes: TEXT })), 415, 'unsupported_media_type');
    expectProblem(await applyForm(d1, multipart(FIELDS, { field: 'document', filename: 'big.png', contentType: 'image/png', bytes: bigPng(5 * 1024 * 1024 + 1) })), 413, 'payload_too_large');
    expect({ media: await t.db.mediaFile.count(), qualifications: await t.db.qualification.count() }).toEqual(before);
  });

  it('refuses bad fields (JSON or multipart), unknown fields and control characters with 400', async () => {
    expectFieldError(await applyJson(d1, { ...FIELDS, degree: 'M\u0000D' }), 'degree');
    expectFieldError(await applyJson(d1, { ...FIELDS, status: 'approved' }), 'status');
    expectFieldError(await applyJson(d1, { ...FIELDS, year: 'soon' }), 'year');
    expectFieldError(await applyJson(d1, { institution: 'x', year: 2000 }), 'degree');
    expectFieldError(await applyForm(d1, pdfForm(PDF, { ...FIELDS, institution: 'bad\u0001name' })), 'institution');
    expectFieldError(await applyForm(d1, multipart(FIELDS, { field: 'file', filename: 'x.pdf', contentType: 'application/pdf', bytes: PDF })), 'file');
  });

  it('is for doctors: 401 anonymous, 403 patient and admin', async () => {
    expectProblem(await t.app.inject({ method: 'POST', url: APPLY, payload: FIELDS }), 401, 'unauthorized');
    expectProblem(await applyJson(patient, FIELDS), 403, 'forbidden');
    expectProblem(await applyJson(admin, FIELDS), 403, 'forbidden');
  });
});

describe('GET doctor/{doctorId}/qualifications/ and PATCH doctor/qualifications/{id}/review/', () => {
  let pendingId: string;
  let approvedId: string;
  let doc: Actor<'doctor'>;
  const owner = () => doc;
  beforeAll(async () => {
    doc = await loginAs(t, 'doctor');
    pendingId = (await applyJson(doc, { degree: 'PhD', institution: 'A', year: 2015 })).json<QualificationBody>().id;
    approvedId = (await applyJson(doc, { degree: 'MSc', institution: 'B', year: 2012 })).json<QualificationBody>().id;
    const review = await t.app.inject({ method: 'PATCH', url: `${DOCTOR}/qualifications/${approvedId}/review/`, headers: admin.headers, payload: { status: 'approved', note: 'Checked' } });
    expect(review.statusCode, review.body).toBe(200);
    expect(review.json<QualificationBody>()).toMatchObject({ status: 'approved', note: 'Checked' });
    expect(review.json<QualificationBody>().reviewedAt).not.toBeNull();
  });

  it('the doctor and admins see every status; other users only approved entries', async () => {
    for (const caller of [owner(), admin]) {
      const ids = (await list(owner().profileId, caller)).json<QualificationBody[]>().map((q) => q.id);
      expect(ids.sort()).toEqual([pendingId, approvedId].sort());
    }
    for (const caller of [d2, patient]) {
      const response = await list(owner().profileId, caller);
      expect(response.json<QualificationBody[]>().map((q) => q.id)).toEqual([approvedId]);
    }
    expectProblem(await list(owner().profileId), 401, 'unauthorized');
    expectProblem(await list(randomUUID(), patient), 404, 'not_found');
    expectProblem(await list('nope', patient), 400, 'validation_failed');
  });

  it('a second review is 422 invalid_transition; unknown ids 404; non-admins 403; bad bodies 400', async () => {
    const url = `${DOCTOR}/qualifications/${approvedId}/review/`;
    expectProblem(await t.app.inject({ method: 'PATCH', url, headers: admin.headers, payload: { status: 'rejected' } }), 422, 'invalid_transition');
    expectProblem(await t.app.inject({ method: 'PATCH', url: `${DOCTOR}/qualifications/${randomUUID()}/review`, headers: admin.headers, payload: { status: 'rejected' } }), 404, 'not_found');
    for (const caller of [owner(), patient]) {
      expectProblem(await t.app.inject({ method: 'PATCH', url: `${DOCTOR}/qualifications/${pendingId}/review`, headers: caller.headers, payload: { status: 'approved' } }), 403, 'forbidden');
    }
    const pendingUrl = `${DOCTOR}/qualifications/${pendingId}/review`;
    expectFieldError(await t.app.inject({ method: 'PATCH', url: pendingUrl, headers: admin.headers, payload: { status: 'pending' } }), 'status');
    expectFieldError(await t.app.inject({ method: 'PATCH', url: pendingUrl, headers: admin.headers, payload: { status: 'approved', doctorId: randomUUID() } }), 'doctorId');
    expectFieldError(await t.app.inject({ method: 'PATCH', url: pendingUrl, headers: admin.headers, payload: { status: 'approved', note: 'a\u0000b' } }), 'note');
    const rejected = await t.app.inject({ method: 'PATCH', url: pendingUrl, headers: admin.headers, payload: { status: 'rejected' } });
    expect(rejected.json<QualificationBody>()).toMatchObject({ status: 'rejected', note: null });
  });
});
