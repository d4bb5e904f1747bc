// `npm start` with no DATABASE_URL: the embedded PostgreSQL under .data/pg, uploads under
// .data/media, one server per folder, and PostgreSQL stopped with the API however it ends;
// `npm run dev` keeps it running across the restarts of the API.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { postmasterPid, serverStopped } from './helpers/postgres-process.ts';
import { waitUntil } from './helpers/wait.ts';

const serverEntry = path.resolve('src/server.ts');
const devEntry = path.resolve('scripts/dev.ts');
const BANNER = 'Clinic API is running on the embedded database';
/** A fresh checkout's folder as npm would run `npm start` in it (the data goes to <cwd>/.data). */
const folder = await mkdtemp(path.join(tmpdir(), 'clinic-start-'));
await chmod(folder, 0o755); // as a checkout is: PostgreSQL's own user (when we are root) must reach .data/pg
const started: ChildProcessWithoutNullStreams[] = [];
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(folder, { recursive: true, force: true });
});

interface Started {
  process: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves with the base URL once the banner is out; rejects when the process exits first. */
  ready: Promise<string>;
}

/** `npm start` (or with `entry` = devEntry, `npm run dev`) in the folder. */
function npmStart(entry = serverEntry): Started {
  const child = spawn(process.execPath, [entry], {
    cwd: folder,
    // Nothing of the test run's environment (DATABASE_URL, NODE_ENV=test): a newcomer's shell.
    // On a busy test machine event-loop delay says nothing about the API (as in tests/helpers/app.ts).
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' },
  });
  started.push(child);
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (base && output.includes(BANNER)) resolve(base);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  ready.catch(() => {}); // awaited by the tests that expect it; the second server's is not
  return { process: child, output: () => output, ready };
}

const dataDir = path.join(folder, '.data', 'pg', 'data');
const stopped = (pid: number) => serverStopped(dataDir, pid);

async function expectReady(base: string): Promise<void> {
  const response = await fetch(`${base}/health/ready`);
  expect(response.status, await response.text()).toBe(200);
}

it('starts on .data/, refuses a second server on the same folder, and leaves no PostgreSQL behind on SIGTERM or a crash', async () => {
  const first = npmStart();
  const base = await first.ready;
  await expectReady(base);
  // Everything of the embedded mode is under .data/: the database and the demo avatars.
  expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
  expect((await readdir(path.join(folder, '.data', 'media'), { recursive: true })).some((name) => name.endsWith('.png'))).toBe(true);
  expect(existsSync(path.join(folder, 'media'))).toBe(false);
  const pid = await postmasterPid(dataDir);

  const second = npmStart();
  const [code] = (await once(second.process, 'exit')) as [number | null];
  expect(code).not.toBe(0);
  expect(second.output()).toContain(`in use by process ${first.process.pid}`);
  await expectReady(base); // the first is untouched

  first.process.kill('SIGTERM');
  const [firstCode] = (await once(first.process, 'exit')) as [number | null];
  expect(firstCode).toBe(0);
  await waitUntil('PostgreSQL stopped with the API', stopped(pid), { timeoutMs: 15_000 });

  // The same data next time; a crash (SIGKILL: no handler runs) still takes PostgreSQL down.
  const again = npmStart();
  const againBase = await again.ready;
  expect(again.output()).not.toContain('Applied migrations');
  await expectReady(againBase);
  const againPid = await postmasterPid(dataDir);
  again.process.kill('SIGKILL');
  await waitUntil('PostgreSQL stopped after the API crashed', stopped(againPid), { timeoutMs: 15_000 });
}, 180_000);

it('npm run dev: a change restarts the API on the same running PostgreSQL; Ctrl-C stops both', async () => {
  const dev = npmStart(devEntry);
  await dev.ready;
  const pid = await postmasterPid(dataDir);
  const banners = () => dev.output().split(BANNER).length - 1;
  // A change to a file of the server (its time is enough for the watcher).
  const now = new Date();
  await utimes(serverEntry, now, now);
  await waitUntil('the API restarted', () => banners() === 2, { timeoutMs: 60_000 });
  expect(await postmasterPid(dataDir)).toBe(pid);
  expect(dev.output()).not.toContain('starting the embedded PostgreSQL');

  dev.process.kill('SIGINT');
  await once(dev.process, 'exit');
  await waitUntil('PostgreSQL stopped with npm run dev', stopped(pid), { timeoutMs: 15_000 });
}, 180_000);
