// A flood of "send me a code" requests for unknown emails does not hold back a real user's mail
// (issue 18, M6): the account jobs run in batches with no pause between them, one at a time per
// email but not globally, and a job for an email without an account is one lookup. The bounds are
// relative to what the queue did, so a busy machine slows both sides alike.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_QUEUES, type SendCodeJob } from '../../src/modules/accounts/accounts.jobs.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { createUser } from '../helpers/actors.ts';
import { call } from '../helpers/scheduling.ts';

const JUNK = 1_000;

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe('a flood of code requests for unknown emails', () => {
  it('delays a real reset mail by no more than the flood takes to drain, at next to nothing per junk job', { timeout: 120_000 }, async () => {
    const user = await createUser(t.db);
    // What 1,000 forget-password requests for random emails leave behind, queued at once: the
    // route's job (accounts.service.ts) for each.
    const junkIds = await t.db.$transaction(
      async (tx) => {
        const ids: (string | null)[] = [];
        for (let i = 0; i < JUNK; i += 1) {
          const job: SendCodeJob = { email: `junk-${randomBytes(6).toString('hex')}@example.com`, purpose: 'password_reset', requestedAt: t.clock.now().toISOString() };
          ids.push(await t.app.deps.jobs.enqueue(tx, ACCOUNT_QUEUES.sendCode.name, job));
        }
        return ids;
      },
      { timeout: 60_000 },
    );
    const junkCommittedAt = Date.now();
    const cpuBefore = process.cpuUsage();

    const requestedAt = Date.now();
    const answer = await call(t.app, 'POST', 'user/forget-password/', { payload: { email: user.email } });
    expect(answer.statusCode, answer.body).toBe(202);
    await t.mail.waitFor((mail) => mail.to === user.email, 60_000);
    const delayMs = Date.now() - requestedAt;

    // The junk jobs all ran (and mailed nobody); when the last one finished, by the database's clock.
    const junk = async () =>
      (
        await t.db.$queryRaw<{ pending: number; lastDone: Date | null }[]>`
          SELECT count(*) FILTER (WHERE state <> 'completed')::int AS pending, max(completed_on) AS "lastDone"
            FROM pgboss.job WHERE name = ${ACCOUNT_QUEUES.sendCode.name} AND id = ANY(${junkIds}::uuid[])`
      )[0]!;
    await expect.poll(async () => (await junk()).pending, { timeout: 60_000, interval: 100 }).toBe(0);
    const junkDrainMs = (await junk()).lastDone!.getTime() - junkCommittedAt;
    const cpu = process.cpuUsage(cpuBefore);
    expect(t.mail.messages.filter((mail) => mail.to.startsWith('junk-'))).toEqual([]);

    const cpuPerJobMs = ((cpu.user + cpu.system) / 1000 / JUNK).toFixed(2);
    console.info(
      `Code-mail flood: ${JUNK} junk jobs drained in ${junkDrainMs} ms (this process: ${cpuPerJobMs} ms of CPU a job); ` +
        `the real reset mail arrived ${delayMs} ms after its request`,
    );
    // Next to nothing a junk job: at most 20 ms each (one at a time and polled every 0.5 s, it was 500 ms).
    expect(junkDrainMs).toBeLessThanOrEqual(JUNK * 20);
    // The real mail waited for the junk ahead of it and no longer: no idle polls, no global queue.
    // On an idle machine both are about a second or two, so the mail comes within the 5 s target.
    expect(delayMs).toBeLessThanOrEqual(junkDrainMs + 2_000);
  });
});
