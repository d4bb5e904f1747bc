// Domain events: publish runs the subscribers of that event only, in order, with the publisher's
// context and the payload; a subscriber's failure reaches the publisher (so its transaction rolls
// back); publishAll hands a batch to the subscribers that take one and each payload to the others.
import { describe, expect, it } from 'vitest';
import { createEvents, type Subscription } from '../../src/lib/events.ts';

describe('createEvents', () => {
  it('runs the subscribers of the published event in order, with the context and payload', async () => {
    const calls: string[] = [];
    const subscriptions: Subscription<{ name: string }>[] = [
      { event: 'account.activated', handle: async (ctx, payload) => void calls.push(`first ${ctx.name} ${payload.userId}`) },
      { event: 'appointment.created', handle: async () => void calls.push('other event') },
      { event: 'account.activated', handle: async (ctx, payload) => void calls.push(`second ${ctx.name} ${payload.phone}`) },
    ];
    await createEvents(subscriptions).publish({ name: 'tx' }, 'account.activated', { userId: 'u1', phone: '+15551234567' });
    expect(calls).toEqual(['first tx u1', 'second tx +15551234567']);
  });

  it('publishAll: subscriber by subscriber in order, the whole batch to one with handleAll, one payload at a time to the others', async () => {
    const calls: string[] = [];
    const subscriptions: Subscription<object>[] = [
      { event: 'account.activated', handle: async () => void calls.push('one'), handleAll: async (_ctx, payloads) => void calls.push(`all ${payloads.map((p) => p.userId).join(',')}`) },
      { event: 'account.activated', handle: async (_ctx, payload) => void calls.push(`each ${payload.userId}`) },
    ];
    const events = createEvents(subscriptions);
    await events.publishAll({}, 'account.activated', [
      { userId: 'u1', phone: null },
      { userId: 'u2', phone: null },
    ]);
    expect(calls).toEqual(['all u1,u2', 'each u1', 'each u2']);
    await events.publishAll({}, 'account.activated', []);
    expect(calls).toHaveLength(3);
  });

  it('a failing subscriber fails the publish and stops the ones after it', async () => {
    const calls: string[] = [];
    const events = createEvents<object>([
      { event: 'account.activated', handle: async () => Promise.reject(new Error('no profile')) },
      { event: 'account.activated', handle: async () => void calls.push('after') },
    ]);
    await expect(events.publish({}, 'account.activated', { userId: 'u1', phone: null })).rejects.toThrow('no profile');
    expect(calls).toEqual([]);
  });
});
