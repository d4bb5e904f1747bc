// drainJobs(): it returns only once the jobs a request caused (and the jobs those caused) have
// run, and it fails, saying how many are left, while a job stays queued.
import { describe, expect, it } from 'vitest';
import { createUser, randomEmail, randomPassword } from './actors.ts';
import { mailsTo, post } from './accounts.ts';
import { useTestApp } from './app.ts';
import { drainJobs, pendingJobs } from './wait.ts';

const t = useTestApp();
// No worker: whatever a request enqueues stays queued.
const quiet = useTestApp({ env: { WORKER_ENABLED: 'false' } });

describe('drainJobs', () => {
  it('waits for a job and the job it enqueues: the registration job, then its activation mail', async () => {
    const email = randomEmail('drain');
    expect((await post(t.app, 'register', { email, password: randomPassword() })).statusCode).toBe(201);
    await drainJobs(t);
    expect(mailsTo(t.mail, email, 'activation')).toHaveLength(1);
    expect(await pendingJobs(t)).toBe(0);
  });

  it('fails after its timeout while a job is still queued', async () => {
    const user = await createUser(quiet.db);
    expect((await post(quiet.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    // At least the send-code job; a cron job (the quarter-hourly hold tidy-up) may be queued too.
    await expect(drainJobs(quiet, { timeoutMs: 200 })).rejects.toThrow(/no pending jobs \([1-9]\d* left\): not within 200 ms/);
  });
});
