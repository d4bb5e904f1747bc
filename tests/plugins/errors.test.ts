// The error handler on its own: every error becomes problem+json; unknown errors are a bare 500.
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { ConflictError } from '../../src/lib/errors.ts';
import errorsPlugin from '../../src/plugins/errors.ts';

const logs: string[] = [];

async function buildErrorApp() {
  const app = Fastify({
    bodyLimit: 1024,
    logger: { level: 'info', stream: new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) }) },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorsPlugin);
  app.get('/boom', async () => {
    const error = new Error('relation "users" does not exist: SELECT password_hash FROM users');
    throw error;
  });
  app.get('/conflict', async () => {
    throw new ConflictError({ detail: 'Already there.' });
  });
  app.get('/overlap', async () => {
    throw new Prisma.PrismaClientKnownRequestError('conflicting key value violates exclusion constraint "appointments_no_overlap"', {
      code: 'P2039',
      clientVersion: '7',
      meta: { driverAdapterError: { cause: { code: '23P01' } } },
    });
  });
  for (const state of ['22001', '22003', '22007', '22008', '22021', '22P02']) {
    app.get(`/data-error/${state}`, async () => {
      throw new Prisma.PrismaClientKnownRequestError('invalid byte sequence for encoding "UTF8": 0x00 in users.first_name', {
        code: 'P2039',
        clientVersion: '7',
        meta: { driverAdapterError: { cause: { originalCode: state } } },
      });
    });
  }
  app.get('/duplicate', async () => {
    throw new Prisma.PrismaClientKnownRequestError('Unique constraint failed on the fields: (`email`)', {
      code: 'P2002',
      clientVersion: '7',
    });
  });
  app.post('/strict', { schema: { body: z.strictObject({ name: z.string().min(2) }) } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

let app: Awaited<ReturnType<typeof buildErrorApp>>;
beforeAll(async () => {
  app = await buildErrorApp();
});
afterAll(() => app.close());

describe('problem+json errors', () => {
  it('answers an unknown error with a bare 500 and logs it with the request id', async () => {
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.json();
    expect(body).toEqual({
      type: 'urn:clinic-api:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
      detail: expect.stringMatching(/^An unexpected error occurred\. Request id: \S+\.$/),
    });
    expect(response.body).not.toMatch(/SELECT|password_hash|at .*\.ts/);
    const logged = logs.find((line) => line.includes('unhandled error'));
    expect(logged).toBeDefined();
    const { reqId } = JSON.parse(logged!) as { reqId: string };
    expect(body.detail).toContain(`Request id: ${reqId}.`);
  });

  it('keeps the status and code of an AppError', async () => {
    const response = await app.inject({ url: '/conflict' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ status: 409, code: 'conflict', detail: 'Already there.', title: 'Conflict' });
  });

  it.each<[string, number, string]>([
    ['/overlap', 409, 'conflict'],
    ['/duplicate', 409, 'conflict'],
    ...['22001', '22003', '22007', '22008', '22021', '22P02'].map((state): [string, number, string] => [`/data-error/${state}`, 400, 'validation_failed']),
  ])('maps the database error behind %s to %d %s without leaking it', async (url, status, code) => {
    const response = await app.inject({ url });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ status, code });
    expect(response.body).not.toMatch(/constraint|email|appointments|UTF8|first_name/);
  });

  it('lists each invalid and each unknown field', async () => {
    const response = await app.inject({ method: 'POST', url: '/strict', payload: { name: 'x', role: 'admin' } });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: 'name', message: expect.any(String) },
        { path: 'role', message: expect.any(String) },
      ]),
    );
  });

  it.each([
    ['malformed JSON', { 'content-type': 'application/json' }, '{"name": ', 400, 'validation_failed'],
    ['a body over the limit', { 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(2000) }), 413, 'payload_too_large'],
    ['an unsupported media type', { 'content-type': 'text/csv' }, 'name\nx', 415, 'unsupported_media_type'],
  ])('answers %s with problem+json', async (_what, headers, payload, status, code) => {
    const response = await app.inject({ method: 'POST', url: '/strict', headers, payload });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status, code, type: `urn:clinic-api:problem:${code}` });
  });

  it('answers unknown routes with 404 not_found', async () => {
    const response = await app.inject({ url: '/nowhere?x=<script>' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', status: 404 });
    expect(response.body).not.toContain('<script>');
  });
});
