// The SMS queue: a message is sent only if the transaction that enqueued it commits, at most once
// per idempotency key however often it is enqueued, retried until the provider takes it, and its
// payload is stored encrypted (no number, no text in the job table).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueSms } from '../../src/lib/sms-queue.ts';
import { useTestApp } from '../helpers/app.ts';
import { httpSmsEnv, smsTo, startSmsGateway, type SmsGateway } from '../helpers/sms.ts';
import { drainJobs, waitUntil } from '../helpers/wait.ts';

let gateway: SmsGateway;
beforeAll(async () => {
  gateway = await startSmsGateway();
});
afterAll(async () => {
  await gateway.close();
});

const t = useTestApp(() => ({
  env: httpSmsEnv(gateway),
  overrides: { jobOptions: { pollingIntervalSeconds: 0.5, retryOverrides: { sms: { limit: 5, delaySeconds: 1, maxDelaySeconds: 1 } } } },
}));

const enqueue = (message: { to: string; body: string; idempotencyKey: string }) =>
  t.app.deps.db.$transaction((tx) => enqueueSms(t.app.deps.jobs, tx, message));

describe('sms queue', () => {
  it('enqueues once per idempotency key and sends once, after retries', async () => {
    const message = { to: '+15558000001', body: 'Clinic: reminder of your appointment.', idempotencyKey: 'test:once' };
    gateway.script(503, 500);
    expect(await enqueue(message)).toBe(true);
    expect(await enqueue(message)).toBe(false);
    await waitUntil('the message delivered', () => smsTo(gateway, message.to).length === 1, { timeoutMs: 15_000 });
    expect(await enqueue(message)).toBe(false);
    await drainJobs(t);
    expect(smsTo(gateway, message.to)).toEqual([{ ...message, at: expect.any(Number) }]);
    expect(gateway.received.filter((received) => received.body.includes(message.to)).map((received) => received.status)).toEqual([503, 500, 201]);
    const stored = await t.db.$queryRaw<{ data: string }[]>`SELECT data::text AS data FROM pgboss.job WHERE name = 'sms'`;
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) expect(row.data).not.toContain('+1555');
  });

  it('sends nothing for a transaction that rolled back', async () => {
    const message = { to: '+15558000002', body: 'Clinic: rolled back.', idempotencyKey: 'test:rollback' };
    await expect(
      t.app.deps.db.$transaction(async (tx) => {
        await enqueueSms(t.app.deps.jobs, tx, message);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // The key is free again: the rolled-back job never existed.
    expect(await enqueue({ ...message, to: '+15558000003' })).toBe(true);
    await drainJobs(t);
    expect(smsTo(gateway, message.to)).toHaveLength(0);
    expect(smsTo(gateway, '+15558000003')).toHaveLength(1);
  });
});
