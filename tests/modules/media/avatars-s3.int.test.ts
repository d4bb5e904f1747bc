// Avatar uploads through the S3 driver against a real s3rver on loopback: presigned 302 (≤ 300 s), and a clear 503 with no row when S3 is unreachable.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useShared, useTestApp } from '../../helpers/app.ts';
import { API, expectProblem } from '../../helpers/http.ts';
import { fileBody, PNG } from '../../helpers/upload-fixtures.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3.ts';

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
  const s3 = useShared(() => startS3rver(BUCKET));
  const t = useTestApp(() => ({ env: s3Env(s3.endpoint) }));
  let patient: Actor<'patient'>;

  beforeAll(async () => {
    patient = await loginAs(t, 'patient');
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
  // Nothing listens on port 9 of loopback: connections are refused at once.
  const t = useTestApp({ env: s3Env('http://127.0.0.1:9') });
  let patient: Actor<'patient'>;
  beforeAll(async () => {
    patient = await loginAs(t, 'patient');
  });

  it('answers 503 service_unavailable and leaves no media_files row', async () => {
    const before = await t.db.mediaFile.count();
    const body = fileBody(PNG);
    const response = await t.app.inject({ method: 'PUT', url: AVATAR, headers: { ...patient.headers, ...body.headers }, payload: body.payload });
    const problem = expectProblem(response, 503, 'service_unavailable');
    expect(problem.detail).not.toContain('127.0.0.1');
    expect(await t.db.mediaFile.count()).toBe(before);
  });
});
