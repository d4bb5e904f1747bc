// The production build's bundles (scripts/bundle.mjs, the second step of `npm run build`): the API
// and the worker run from their single files, with the packages kept outside (argon2, Swagger UI's
// static files) loaded from node_modules, and stop cleanly on SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { serverEnv } from '../helpers/server-env.ts';

// Inside node_modules, so the bundles find the packages kept outside as they do in dist/.
const outdir = path.join('node_modules', '.cache', `clinic-bundle-${randomUUID()}`);
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await mkdir(outdir, { recursive: true });
  await promisify(execFile)(process.execPath, ['scripts/bundle.mjs', '--outdir', outdir]);
}, 60_000);
afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
  await database?.drop();
});

function run(file: string): { child: ChildProcessWithoutNullStreams; seen: (pattern: RegExp) => Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [path.join(outdir, 'src', file)], {
    env: serverEnv(database.url, { DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'info' }),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
  const seen = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const found = pattern.exec(output);
        if (found) {
          child.stdout.off('data', check);
          resolve(found);
        }
      };
      child.stdout.on('data', check);
      child.once('exit', () => reject(new Error(`${file} exited early:\n${output}`)));
      check();
    });
  return { child, seen };
}

it('the API runs from its bundle: ready, a registration (argon2), the docs (Swagger UI), 405, then exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const { child, seen } = run('server-main.js');
  try {
    const base = (await seen(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const registration = await fetch(`${base}/v1/api/user/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bundle-${randomUUID()}@example.com`, password: `Pw-${randomUUID()}` }),
    });
    expect(registration.status).toBe(201);
    const docs = await fetch(`${base}/docs/static/index.html`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const wrongMethod = await fetch(`${base}/health/ready`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('the worker runs from its bundle and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const { child, seen } = run('worker-main.js');
  try {
    await seen(/worker processing jobs/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});
