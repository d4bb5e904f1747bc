// Avatar uploads through the S3 driver against a real s3rver on loopback: presigned 302 (≤ 300 s), and a clear 503 with no row when S3 is unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.ts';
import { signedIn, type Caller } from '../../helpers/directory-factories.ts';
import { API } from '../../helpers/factories.ts';
import { fileBody, PNG } from '../../helpers/upload-fixtures.ts';
import { expectProblem } from '../accounts/support.ts';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../../helpers/s3.ts';

const BUCKET = 'avatars-test';
const AVATAR = `${API}/patient/patients/me/avatar/`;
const s3Env = (endpoint: string) => ({
  S3_BUCKET: BUCKET,
  S3_ENDPOINT: endpoint,
  S3_REGION: 'us-east-1',
  S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
});

describe('S3 storage', () => {
  let s3: TestS3;
  let t: TestApp;
  let patient: Caller;

  beforeAll(async () => {
    s3 = await startS3rver(BUCKET);
    t = await buildTestApp({ env: s3Env(s3.endpoint) });
    patient = await signedIn(t.app, t.db, 'patient');
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('stores the avatar in the bucket and answers GET media/{id} with a 302 to a presigned URL valid ≤ 300 s', async () => {
    const body = fileBody(PNG);
    const response = await t.app.inject({ method: 'PUT', url: AVATAR, headers: { ...patient.headers, ...body.headers }, payload: body.payload });
    expect(response.statusCode, response.body).toBe(200);
    const id = response.json<{ avatarUrl: string }>().avatarUrl.split('/').at(-1)!;
    expect(await t.db.mediaFile.findUniqueOrThrow({ where: { id }, select: { storage: true } })).toEqual({ storage: 's3' });

    const redirect = await t.app.inject({ method: 'GET', url: `${API}/media/${id}` });
    expect(redirect.statusCode).toBe(302);
    const location = new URL(redirect.headers.location as string);
    const expires = Number(location.searchParams.get('X-Amz-Expires'));
    expect(expires).toBeGreaterThan(0);
    expect(expires).toBeLessThanOrEqual(300);
    expect(location.searchParams.get('X-Amz-Signature')).toBeTruthy();
    const fetched = await fetch(location);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(PNG)).toBe(true);
  });
});

describe('S3 unreachable', () => {
  let t: TestApp;
  let patient: Caller;
  beforeAll(async () => {
    // Nothing listens on port 9 of loopback: connections are refused at once.
    t = await buildTestApp({ env: s3Env('http://127.0.0.1:9') });
    patient = await signedIn(t.app, t.db, 'patient');
  });
  afterAll(() => t?.close());

  it('answers 503 service_unavailable and leaves no media_files row', async () => {
    const before = await t.db.mediaFile.count();
    const body = fileBody(PNG);
    const response = await t.app.inject({ method: 'PUT', url: AVATAR, headers: { ...patient.headers, ...body.headers }, payload: body.payload });
    const problem = expectProblem(response, 503, 'service_unavailable');
    expect(problem.detail).not.toContain('127.0.0.1');
    expect(await t.db.mediaFile.count()).toBe(before);
  });
});
