// Waiting for a condition instead of sleeping: waitUntil() polls a probe, drainJobs() waits until
// the app's worker has run every job that is due, so "nothing more is sent" can be asserted.
import type { TestApp } from './app.ts';

export interface WaitOptions {
  timeoutMs?: number;
  /** How often the probe runs. */
  intervalMs?: number;
}

/** Polls until `probe` answers true; fails after `timeoutMs`, saying what did not happen. */
export async function waitUntil(what: string | (() => string), probe: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${typeof what === 'string' ? what : what()}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Jobs that are due and not finished: queued, waiting for a retry, or running. */
export async function pendingJobs(t: Pick<TestApp, 'db'>): Promise<number> {
  // A job waiting for its retry counts even before the retry is due (a failed mail is not
  // "nothing sent"); a job created to start later (a reminder) counts once its time has come.
  const [row] = await t.db.$queryRaw<{ pending: number }[]>`
    SELECT count(*)::int AS pending FROM pgboss.job
     WHERE state::text IN ('retry', 'active') OR (state::text = 'created' AND start_after <= now())`;
  return row!.pending;
}

/**
 * Waits until the worker has run every job that is due (reminders due later do not count). A job
 * enqueues the jobs it causes before it completes (a registration job enqueues its mail), so
 * those are waited for as well: afterwards a test can count what was sent.
 */
export async function drainJobs(t: Pick<TestApp, 'db'>, options: WaitOptions = {}): Promise<void> {
  let pending = 0;
  await waitUntil(() => `no pending jobs (${pending} left)`, async () => (pending = await pendingJobs(t)) === 0, options);
}
