// An old Node.js is refused at once: `npm ci` by engine-strict (.npmrc) before it installs
// anything, `npm test` by scripts/check-node.mjs with the project's message. Each runs in a
// scratch copy of the files it needs, under a Node that reports itself as 20.19.0.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'node-version-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory holding copies of `files` (paths relative to the repository) and a preload that makes Node report 20.19.0. */
function scratchCopy(name: string, files: string[]): string {
  const dir = path.join(scratch, name);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(dir, file));
  }
  writeFileSync(
    path.join(dir, 'old-node.mjs'),
    "Object.defineProperty(process, 'version', { value: 'v20.19.0' });\nObject.defineProperty(process.versions, 'node', { value: '20.19.0' });\n",
  );
  return dir;
}

/** npm with `args` in `dir`, every Node process of it (npm's own included) reporting 20.19.0. */
function npmOnOldNode(dir: string, args: string[]) {
  const result = spawnSync('npm', args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: `--import=${path.join(dir, 'old-node.mjs')}`, npm_config_update_notifier: 'false' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('an old Node.js', () => {
  it('npm ci stops at once with EBADENGINE, before installing anything', { timeout: 60_000 }, () => {
    const dir = scratchCopy('ci', ['package.json', 'package-lock.json', '.npmrc']);
    // --dry-run: without engine-strict npm would go on and "add" every package.
    const result = npmOnOldNode(dir, ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund']);
    expect(result.status, result.output).not.toBe(0);
    expect(result.output).toContain('EBADENGINE');
    expect(result.output).toContain('Required: {"node":">=22.13"}');
    expect(result.output).not.toMatch(/added \d+ packages/);
  });

  it('npm test stops with the project’s message before the test runner starts', { timeout: 60_000 }, () => {
    // No node_modules here: had the check not run first, npm would fail on a missing `vitest`.
    const dir = scratchCopy('test', ['package.json', 'scripts/check-node.mjs']);
    const result = npmOnOldNode(dir, ['test']);
    expect(result.status, result.output).toBe(1);
    expect(result.output).toContain('Clinic API needs Node.js 22.13 or newer (Node.js 24 LTS recommended); this is v20.19.0.');
    expect(result.output).not.toMatch(/vitest: .*not found/);
  });
});
