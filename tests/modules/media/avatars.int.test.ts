// Avatar uploads on local disk: real PNG/JPEG bytes, 415 by content, 413 past 2 MiB, one media_files row per file, the old object deleted, GET media/{id}.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { bigPng, fileBody, JPEG, multipart, PDF, PNG, TEXT } from '../../helpers/upload-fixtures.ts';

const t = useTestApp();
let patient: Actor<'patient'>;
let otherPatient: Actor<'patient'>;
let doctor: Actor<'doctor'>;
let admin: Actor<'admin'>;

const PATIENT_AVATAR = `${API}/patient/patients/me/avatar/`;
const DOCTOR_AVATAR = `${API}/doctor/profile/me/avatar/`;

async function filesOnDisk(): Promise<string[]> {
  const entries = await readdir(t.mediaRoot, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(t.mediaRoot, path.join(entry.parentPath, entry.name)));
}

const upload = (url: string, caller: Actor, body: { payload: Buffer; headers: Record<string, string> }) =>
  t.app.inject({ method: 'PUT', url, payload: body.payload, headers: { ...caller.headers, ...body.headers } });

beforeAll(async () => {
  [patient, otherPatient, admin] = await Promise.all([loginAs(t, 'patient'), loginAs(t, 'patient'), loginAs(t, 'admin')]);
  doctor = await loginAs(t, 'doctor');
});

describe('PUT patient/patients/me/avatar/ and doctor/profile/me/avatar/', () => {
  it('stores a real PNG for a patient: one media_files row, a public URL that serves the same bytes', async () => {
    const response = await upload(PATIENT_AVATAR, patient, fileBody(PNG, 'me.png'));
    expect(response.statusCode, response.body).toBe(200);
    const avatarUrl = response.json<{ avatarUrl: string }>().avatarUrl;
    expect(avatarUrl).toMatch(/\/v1\/api\/media\/[0-9a-f-]{36}$/);
    const id = avatarUrl.split('/').at(-1)!;
    const row = await t.db.mediaFile.findUniqueOrThrow({ where: { id }, select: { kind: true, ownerId: true, storage: true, contentType: true, sizeBytes: true, originalName: true, storageKey: true } });
    expect(row).toMatchObject({ kind: 'avatar', ownerId: patient.user.id, storage: 'local', contentType: 'image/png', sizeBytes: PNG.length, originalName: 'me.png' });
    expect(row.storageKey).toMatch(/^avatar\/[0-9a-f-]{36}\.png$/);
    expect(await filesOnDisk()).toContain(row.storageKey);

    // Anyone may fetch an avatar, with or without a token.
    for (const headers of [{}, otherPatient.headers]) {
      const file = await t.app.inject({ method: 'GET', url: new URL(avatarUrl, 'http://x').pathname, headers });
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toBe('image/png');
      expect(file.rawPayload.equals(PNG)).toBe(true);
    }
  });

  it('replacing the avatar deletes the old row and object after the commit', async () => {
    const first = (await upload(PATIENT_AVATAR, otherPatient, fileBody(PNG))).json<{ avatarUrl: string }>().avatarUrl.split('/').at(-1)!;
    const oldKey = (await t.db.mediaFile.findUniqueOrThrow({ where: { id: first }, select: { storageKey: true } })).storageKey;
    const second = await upload(PATIENT_AVATAR, otherPatient, fileBody(JPEG, 'me.jpg', 'file', 'image/jpeg'));
    expect(second.statusCode, second.body).toBe(200);
    const newId = second.json<{ avatarUrl: string }>().avatarUrl.split('/').at(-1)!;
    expect(newId).not.toBe(first);
    expect(await t.db.mediaFile.count({ where: { id: first } })).toBe(0);
    expect(await filesOnDisk()).not.toContain(oldKey);
    expectProblem(await t.app.inject({ method: 'GET', url: `${API}/media/${first}` }), 404, 'not_found');
    const served = await t.app.inject({ method: 'GET', url: `${API}/media/${newId}` });
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(await t.db.mediaFile.count({ where: { ownerId: otherPatient.user.id } })).toBe(1);
  });

  it('a doctor uploads an avatar that shows in the public list', async () => {
    const response = await upload(DOCTOR_AVATAR, doctor, fileBody(JPEG, 'doc.jpg', 'file', 'image/jpeg'));
    expect(response.statusCode, response.body).toBe(200);
    const avatarUrl = response.json<{ avatarUrl: string }>().avatarUrl;
    const profile = await t.app.inject({ method: 'GET', url: `${API}/doctor/profile/${doctor.user.email}` });
    expect(profile.json<{ avatarUrl: string }>().avatarUrl).toBe(avatarUrl);
  });

  it('refuses a text file named .png (415), a PDF as an avatar (415), and leaves nothing behind', async () => {
    const before = { rows: await t.db.mediaFile.count(), files: (await filesOnDisk()).length };
    expectProblem(await upload(PATIENT_AVATAR, patient, fileBody(TEXT, 'evil.png')), 415, 'unsupported_media_type');
    expectProblem(await upload(PATIENT_AVATAR, patient, fileBody(PDF, 'doc.pdf', 'file', 'application/pdf')), 415, 'unsupported_media_type');
    expect({ rows: await t.db.mediaFile.count(), files: (await filesOnDisk()).length }).toEqual(before);
  });

  it('refuses more than 2 MiB with 413, mid-stream, and leaves nothing behind', async () => {
    const before = { rows: await t.db.mediaFile.count(), files: (await filesOnDisk()).length };
    expectProblem(await upload(PATIENT_AVATAR, patient, fileBody(bigPng(2 * 1024 * 1024 + 1))), 413, 'payload_too_large');
    expectProblem(await upload(DOCTOR_AVATAR, doctor, fileBody(bigPng(6 * 1024 * 1024))), 413, 'payload_too_large');
    expect({ rows: await t.db.mediaFile.count(), files: (await filesOnDisk()).length }).toEqual(before);
    // Exactly 2 MiB is fine.
    expect((await upload(PATIENT_AVATAR, patient, fileBody(bigPng(2 * 1024 * 1024)))).statusCode).toBe(200);
  });

  it('a body that is not multipart is 415; a missing or misnamed file is 400', async () => {
    expectProblem(await t.app.inject({ method: 'PUT', url: PATIENT_AVATAR, headers: patient.headers, payload: { file: 'x' } }), 415, 'unsupported_media_type');
    expectFieldError(await upload(PATIENT_AVATAR, patient, multipart({ note: 'no file' })), 'file');
    expectFieldError(await upload(PATIENT_AVATAR, patient, fileBody(PNG, 'a.png', 'avatar')), 'file');
  });

  it('is for the profile’s own role: 401 anonymous, 403 other roles', async () => {
    expectProblem(await t.app.inject({ method: 'PUT', url: PATIENT_AVATAR, ...fileBody(PNG) }), 401, 'unauthorized');
    for (const caller of [doctor, admin]) expectProblem(await upload(PATIENT_AVATAR, caller, fileBody(PNG)), 403, 'forbidden');
    for (const caller of [patient, admin]) expectProblem(await upload(DOCTOR_AVATAR, caller, fileBody(PNG)), 403, 'forbidden');
  });
});

describe('GET media/{id}', () => {
  it('404 for unknown ids, 400 for non-uuids and traversal attempts', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: `${API}/media/0190a8f0-0000-7000-8000-000000000000` }), 404, 'not_found');
    // (A bare `%2e%2e` segment never reaches the route: the client resolves it, as browsers do, to `/v1/api/`.)
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e%2Fsecret', 'abc']) {
      const response = await t.app.inject({ method: 'GET', url: `${API}/media/${id}` });
      expect([400, 404]).toContain(response.statusCode);
    }
  });

  it('an invalid bearer token on the public route is 401', async () => {
    const id = (await t.db.mediaFile.findFirstOrThrow({ where: { kind: 'avatar' }, select: { id: true } })).id;
    expectProblem(await t.app.inject({ method: 'GET', url: `${API}/media/${id}`, headers: { authorization: 'Bearer nope' } }), 401, 'token_invalid');
  });
});

describe('erasure removes the avatar', () => {
  it('deletes the avatar row and object when the patient erases the account', async () => {
    const leaving = await loginAs(t, 'patient');
    const id = (await upload(PATIENT_AVATAR, leaving, fileBody(PNG))).json<{ avatarUrl: string }>().avatarUrl.split('/').at(-1)!;
    const key = (await t.db.mediaFile.findUniqueOrThrow({ where: { id }, select: { storageKey: true } })).storageKey;
    expect((await t.app.inject({ method: 'DELETE', url: `${API}/patient/patients/me/`, headers: leaving.headers })).statusCode).toBe(204);
    expect(await t.db.mediaFile.count({ where: { id } })).toBe(0);
    expect(await filesOnDisk()).not.toContain(key);
  });
});
