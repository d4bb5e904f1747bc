// The PostgreSQL server process of a data directory, for tests that check it is stopped.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server's pid, from the first line of its postmaster.pid. */
export async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** A probe for waitUntil: the server `pid` of `dataDir` has exited and removed its pid file. */
export function serverStopped(dataDir: string, pid: number): () => boolean {
  return () => !isRunning(pid) && !existsSync(path.join(dataDir, 'postmaster.pid'));
}
