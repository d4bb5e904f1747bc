// `npm test` tells the truth: a failing test makes it exit non-zero on a PostgreSQL server and on
// the embedded one, and blocks skipped for a missing part are named with the reason.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { testDatabaseInfo } from '../helpers/database.ts';

/** `npm test` on the files of tests/fixtures/exit-code, with its exit code and output. */
async function npmTestOnFixture(testDatabaseUrl: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['test'], {
    // CI unset: describeWith skips as on a newcomer's machine instead of insisting on every part.
    env: { ...process.env, CI: '', NO_COLOR: '1', TEST_FIXTURE: 'exit-code', TEST_DATABASE_URL: testDatabaseUrl },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

describe.concurrent('npm test on a deliberately failing file', () => {
  it.each([
    ['a PostgreSQL server', () => testDatabaseInfo().adminUrl],
    ['the embedded PostgreSQL', () => 'embedded'],
  ])('exits non-zero on %s, and names what it skipped and why', async (_mode, url) => {
    const { code, output } = await npmTestOnFixture(url());
    expect(output).toMatch(/Tests\s+1 failed \| 1 passed \| 1 skipped/);
    expect(code).not.toBe(0);
    expect(output).toContain('a block that needs it — skipped: a part this machine lacks (fixture)');
  }, 180_000);
});
