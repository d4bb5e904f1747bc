// Uploads through the HTTP layer: malformed multipart bodies (no boundary, a boundary the body
// does not use, a body cut short) answer 400 on every upload route, never 500; images declaring
// more pixels than MAX_IMAGE_PIXELS answer 415 and store nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { loginAs } from '../helpers/actors.ts';
import { apiUrl, expectProblem } from '../helpers/http.ts';
import { fileBody, JPEG, PNG, multipart } from '../helpers/upload-fixtures.ts';

const t = useTestApp();

/** A valid doctor application's text fields: it names a specialization that exists. */
async function applicationFields(): Promise<Record<string, string>> {
  const suffix = randomUUID().slice(0, 8);
  const specialization = await t.db.specialization.create({ data: { name: `Uploads ${suffix}`, slug: `uploads-${suffix}` } });
  return { licenseNumber: `LIC-${suffix}`, yearsOfExperience: '3', specializationIds: specialization.id };
}

type Caller = 'public' | 'patient' | 'doctor';
const UPLOAD_ROUTES: { method: 'PUT' | 'POST'; path: string; caller: Caller; field: string; fields: () => Promise<Record<string, string>> }[] = [
  { method: 'PUT', path: 'patient/patients/me/avatar', caller: 'patient', field: 'file', fields: async () => ({}) },
  { method: 'PUT', path: 'doctor/profile/me/avatar', caller: 'doctor', field: 'file', fields: async () => ({}) },
  { method: 'POST', path: 'public-portal/report-bug', caller: 'public', field: 'screenshot', fields: async () => ({ title: 'Broken', description: 'It broke.' }) },
  { method: 'POST', path: 'operations/apply/to-be/doctor', caller: 'patient', field: 'document', fields: applicationFields },
  { method: 'POST', path: 'doctor/qualifications/apply', caller: 'doctor', field: 'document', fields: async () => ({ degree: 'MD', institution: 'Uni', year: '2010' }) },
];

/** Broken bodies built from one good one: its boundary missing, wrong or too long, the body cut short. */
function malformedBodies(field: string, fields: Record<string, string>): { name: string; headers: Record<string, string>; payload: Buffer }[] {
  const good = multipart(fields, { field, filename: 'f.png', contentType: 'image/png', bytes: PNG });
  const cut = (bytes: number) => good.payload.subarray(0, good.payload.length - bytes);
  return [
    { name: 'no boundary', headers: { 'content-type': 'multipart/form-data' }, payload: good.payload },
    { name: 'wrong boundary', headers: { 'content-type': 'multipart/form-data; boundary=not-the-one-used' }, payload: good.payload },
    { name: 'boundary over 250 characters', headers: { 'content-type': `multipart/form-data; boundary=${'b'.repeat(300)}` }, payload: good.payload },
    { name: 'cut in the closing boundary', headers: good.headers, payload: cut(20) },
    { name: 'cut inside the file', headers: good.headers, payload: cut(60) },
    { name: 'cut inside the part headers', headers: good.headers, payload: good.payload.subarray(0, 60) },
  ];
}

const headersOf = async (caller: Caller) => (caller === 'public' ? {} : (await loginAs(t, caller)).headers);

describe('malformed multipart', () => {
  it.each(UPLOAD_ROUTES)('$method $path answers 400 validation_failed', async ({ method, path, caller, field, fields }) => {
    const headers = await headersOf(caller);
    for (const body of malformedBodies(field, await fields())) {
      const response = await t.app.inject({ method, url: apiUrl(path), headers: { ...headers, ...body.headers }, payload: body.payload });
      expect(response.statusCode, `${body.name}: ${response.body}`).toBe(400);
      expectProblem(response, 400, 'validation_failed');
    }
  });
});

describe('image dimensions', () => {
  /** A 370-byte PNG whose header declares 100000 x 100000 pixels. */
  const pixelBomb = () => {
    const bytes = Buffer.concat([PNG, Buffer.alloc(370 - PNG.length)]);
    bytes.writeUInt32BE(100_000, 16);
    bytes.writeUInt32BE(100_000, 20);
    return bytes;
  };

  it.each(UPLOAD_ROUTES)('$method $path refuses an image over 40 megapixels with 415 and stores nothing', async ({ method, path, caller, field, fields }) => {
    const headers = await headersOf(caller);
    const before = await t.db.mediaFile.count();
    const body = multipart(await fields(), { field, filename: 'bomb.png', contentType: 'image/png', bytes: pixelBomb() });
    const response = await t.app.inject({ method, url: apiUrl(path), headers: { ...headers, ...body.headers }, payload: body.payload });
    expect(expectProblem(response, 415, 'unsupported_media_type').detail).toBe('The image has more than 40 million pixels.');
    expect(await t.db.mediaFile.count()).toBe(before);
  });

  it('still takes a real JPEG avatar', async () => {
    const patient = await loginAs(t, 'patient');
    const body = fileBody(JPEG, 'me.jpg', 'file', 'image/jpeg');
    const response = await t.app.inject({ method: 'PUT', url: apiUrl('patient/patients/me/avatar'), headers: { ...patient.headers, ...body.headers }, payload: body.payload });
    expect(response.statusCode, response.body).toBe(200);
  });
});
