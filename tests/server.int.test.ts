// The server process: listens, and on SIGTERM lets in-flight requests finish, then exits 0.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { serverEnv } from './helpers/server-env.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

it('runs on Node itself (no loader), finishes in-flight requests on SIGTERM, then exits 0', async () => {
  // Node 24 strips the TypeScript types itself: `npm start` is `node src/server.ts`.
  const server = spawn(process.execPath, ['src/server.ts'], {
    env: serverEnv(database.url, { DATABASE_POOL_SIZE: '1' }),
  });
  // One listener collects the output: a listener per wait appended every later chunk once more
  // each, so four "incoming request" lines could be two requests' (and SIGTERM came too early).
  let output = '';
  const checks = new Set<() => void>();
  server.stdout.on('data', (chunk: Buffer) => {
    output += String(chunk);
    for (const check of checks) check();
  });
  const seen = <T>(find: (text: string) => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find(output);
        if (found === undefined) return;
        checks.delete(check);
        resolve(found);
      };
      checks.add(check);
      server.once('exit', () => reject(new Error(`server exited early:\n${output}`)));
      check();
    });

  try {
    const base = await seen((text) => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1]);
    const registrations = Array.from({ length: 4 }, () =>
      fetch(`${base}/v1/api/user/register/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `shutdown-${randomUUID()}@example.com`, password: `Pw-${randomUUID()}` }),
      }),
    );
    // All four requests have reached the server before the signal.
    await seen((text) => (text.split('"msg":"incoming request"').length > 4 ? true : undefined));
    server.kill('SIGTERM');
    const responses = await Promise.all(registrations);
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201]);
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(output).toContain('shutting down');
  } finally {
    server.kill('SIGKILL');
  }
});
