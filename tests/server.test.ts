// Start-up: a bad configuration stops the server (and the worker) with exit code 1 and a one-line message.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function start(entry: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const valid = { SECRET_KEY: 'k'.repeat(40), DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' };

describe('start-up', () => {
  // Each case starts a Node process: give a busy machine time.
  it('stops the worker too on a bad variable, in one line', { timeout: 30_000 }, () => {
    const result = start('src/worker.ts', { ...valid, JWT_ACCESS_LIFETIME: 'forever' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Invalid configuration: JWT_ACCESS_LIFETIME [^\n]+$/);
  });

  it.each([
    [{ ...valid, PORT: 'abc' }, 'PORT'],
    [{ ...valid, DATABASE_URL: 'nonsense' }, 'DATABASE_URL'],
    [{ ...valid, NODE_ENV: 'production', SECRET_KEY: 'too-short', EMAIL_HOST: 'smtp.example' }, 'SECRET_KEY'],
  ])('exits non-zero on %o naming %s', { timeout: 30_000 }, (env, variable) => {
    const result = start('src/server.ts', env);
    expect(result.status).not.toBe(0);
    const message = result.stderr.trim();
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect(message.split('\n')).toHaveLength(1);
  });
});
