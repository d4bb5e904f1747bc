// Webhook deliveries to a local receiver (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, retries after 1 s):
// Standard Webhooks signatures checked with the standardwebhooks package, the delivery log,
// retries in order per endpoint, 410 Gone, redelivery, and events only for committed changes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../../../src/lib/lookup.ts';
import { DELIVERY_LOG_DAYS, MAX_ATTEMPTS } from '../../../src/modules/webhooks/webhooks.jobs.ts';
import { purgeDeliveryLog } from '../../../src/modules/webhooks/webhooks.queries.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { buildTestApp, useTestApp } from '../../helpers/app.ts';
import { client, expectProblem } from '../../helpers/http.ts';
import { drainJobs, waitUntil } from '../../helpers/wait.ts';
import { bookingParties, createEndpoint, FAST_WEBHOOK_RETRIES, startReceiver, stubLookup, verified, type Receiver } from '../../helpers/webhooks.ts';

const names = new Map<string, ResolvedAddress[]>([['hooks.internal', [{ address: '127.0.0.1', family: 4 }]]]);
const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, overrides: { jobOptions: FAST_WEBHOOK_RETRIES, lookup: stubLookup(names) } });
const http = () => client(t.app);

let receiver: Receiver;
let other: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  other = await startReceiver();
});
afterEach(async () => {
  // Each test's endpoints go with it, so later tests' events reach only their own.
  await t.db.webhookEndpoint.deleteMany();
  for (const server of [receiver, other]) {
    server.release();
    server.script();
    server.received.length = 0;
  }
});
afterAll(async () => {
  await receiver.close();
  await other.close();
});

function setStatus(doctor: Actor, id: string, status: string, note?: string) {
  return http().patch(`appointment/doctor/${id}/update_status`, { status, ...(note ? { note } : {}) }, { headers: doctor.headers });
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastResponseStatus: number | null;
  nextAttemptAt: string | null;
}

async function deliveriesOf(admin: Actor, endpointId: string): Promise<Delivery[]> {
  const response = await http().get(`operations/webhooks/${endpointId}/deliveries`, { headers: admin.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ results: Delivery[] }>().results;
}

describe('webhook delivery', () => {
  it('signs each delivery (Standard Webhooks) and sends the object as the API answers it', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created', 'appointment.completed'] });
    const { doctor, book } = await bookingParties(t);
    const appointment = await book();
    const completed = await setStatus(doctor, appointment.id, 'completed');
    expect(completed.statusCode, completed.body).toBe(200);
    await waitUntil('two deliveries', () => receiver.received.length === 2);

    const [created, done] = receiver.received;
    expect(verified(endpoint.secret, created!)).toEqual(created!.event);
    expect(verified(endpoint.secret, done!)).toEqual(done!.event);
    expect(created!.headers['webhook-id']).toBe(created!.event.id);
    expect(created!.event.id).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(Number(created!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(created!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(created!.headers['content-type']).toBe('application/json');
    expect(created!.event).toMatchObject({ type: 'appointment.created', data: { ...appointment } });
    expect(Date.parse(created!.event.createdAt)).not.toBeNaN();
    expect(done!.event).toMatchObject({ type: 'appointment.completed', data: completed.json() });

    // Another secret, or a changed body, does not verify.
    const forged = { ...created!, body: created!.body.replace('appointment.created', 'appointment.cancelled') };
    expect(() => verified(endpoint.secret, forged)).toThrow();
    const stranger = await createEndpoint(t, admin, { url: other.url, events: ['review.created'] });
    expect(() => verified(stranger.secret, created!)).toThrow();

    await waitUntil('both recorded', async () => (await deliveriesOf(admin, endpoint.id)).every((delivery) => delivery.status === 'succeeded'));
    const deliveries = await deliveriesOf(admin, endpoint.id);
    expect(deliveries.map((delivery) => delivery.eventType)).toEqual(['appointment.completed', 'appointment.created']);
    expect(deliveries[1]).toMatchObject({ eventId: created!.event.id, status: 'succeeded', attempts: 1, lastResponseStatus: 200, nextAttemptAt: null });
  });

  it('sends only the events an endpoint subscribed to, and none to inactive endpoints', async () => {
    const admin = await loginAs(t, 'admin');
    const cancelledOnly = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.cancelled'] });
    const inactive = await createEndpoint(t, admin, { url: other.url, events: ['appointment.created', 'appointment.cancelled'] });
    await http().patch(`operations/webhooks/${inactive.id}`, { isActive: false }, { headers: admin.headers });
    const { doctor, book } = await bookingParties(t);
    const appointment = await book();
    expect((await setStatus(doctor, appointment.id, 'cancelled')).statusCode).toBe(200);
    await waitUntil('the cancellation', () => receiver.received.length === 1);
    await drainJobs(t);
    expect(receiver.received.map((webhook) => webhook.event.type)).toEqual(['appointment.cancelled']);
    expect(verified(cancelledOnly.secret, receiver.received[0]!)).toMatchObject({ data: { id: appointment.id, status: 'cancelled' } });
    expect(other.received).toHaveLength(0);
    expect(await deliveriesOf(admin, inactive.id)).toEqual([]);
  });

  it('retries a failing endpoint in order: 500, 500, then 200 delivers once in 3 attempts while later events wait behind it', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created', 'appointment.completed'] });
    receiver.script(500, 500);
    const { doctor, book } = await bookingParties(t);
    const first = await book();
    await waitUntil('the first attempt', () => receiver.received.length >= 1);
    // Committed while the first event waits for its retry.
    const second = await book();
    expect((await setStatus(doctor, first.id, 'completed')).statusCode).toBe(200);
    await waitUntil('three events delivered', async () => (await deliveriesOf(admin, endpoint.id)).every((delivery) => delivery.status === 'succeeded'), { timeoutMs: 30_000 });

    const sent = receiver.received.map((webhook) => `${webhook.event.type}:${String(webhook.event.data.id)}`);
    expect(sent).toEqual([
      `appointment.created:${first.id}`,
      `appointment.created:${first.id}`,
      `appointment.created:${first.id}`,
      `appointment.created:${second.id}`,
      `appointment.completed:${first.id}`,
    ]);
    // Every attempt of one event carries the same webhook-id.
    expect(new Set(receiver.received.slice(0, 3).map((webhook) => webhook.headers['webhook-id'])).size).toBe(1);
    const deliveries = await deliveriesOf(admin, endpoint.id);
    expect(deliveries.map((delivery) => [delivery.attempts, delivery.lastResponseStatus])).toEqual([
      [1, 200],
      [1, 200],
      [3, 200],
    ]);
  });

  it('lists a delivery waiting for its retry as pending with its next attempt', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    receiver.script(503, 503, 503);
    const { book } = await bookingParties(t);
    await book();
    let delivery: Delivery | undefined;
    // Between the attempt and pg-boss scheduling its retry, the job is still running: no next attempt yet.
    await waitUntil('a failed attempt waiting for its retry', async () => ([delivery] = await deliveriesOf(admin, endpoint.id)) && delivery!.attempts >= 1 && delivery!.nextAttemptAt !== null);
    expect(delivery).toMatchObject({ status: 'pending', lastResponseStatus: 503 });
    expect(delivery!.attempts).toBeGreaterThanOrEqual(1);
    // The test's retry delay is 1 s after the attempt.
    expect(Math.abs(Date.parse(delivery!.nextAttemptAt!) - Date.now())).toBeLessThan(5_000);
    await waitUntil('delivered in the end', async () => (await deliveriesOf(admin, endpoint.id))[0]?.status === 'succeeded', { timeoutMs: 30_000 });
  });

  it('does not hold other endpoints back while one hangs or fails', async () => {
    const admin = await loginAs(t, 'admin');
    const failing = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    await createEndpoint(t, admin, { url: other.url, events: ['appointment.created'] });
    receiver.script('hang');
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('the hanging endpoint got its request', () => receiver.received.length === 1);
    await waitUntil('the other endpoint got its event while the first still hangs', () => other.received.length === 1);
    receiver.release();

    receiver.script(500, 500, 500, 500);
    await book();
    await waitUntil('the other endpoint got the next event', () => other.received.length === 2);
    expect((await deliveriesOf(admin, failing.id))[0]).toMatchObject({ status: 'pending' });
  });

  it('marks a delivery failed after the last attempt, and the endpoint’s next event goes out', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    receiver.script(...Array.from({ length: MAX_ATTEMPTS }, () => 500));
    const { book } = await bookingParties(t);
    const first = await book();
    const second = await book();
    await waitUntil('the next event delivered', () => receiver.received.some((webhook) => webhook.event.data.id === second.id), { timeoutMs: 60_000 });
    expect(receiver.received.filter((webhook) => webhook.event.data.id === first.id)).toHaveLength(MAX_ATTEMPTS);
    await waitUntil('recorded', async () => (await deliveriesOf(admin, endpoint.id))[0]?.status === 'succeeded');
    expect((await deliveriesOf(admin, endpoint.id)).map((delivery) => [delivery.status, delivery.attempts, delivery.lastResponseStatus])).toEqual([
      ['succeeded', 1, 200],
      ['failed', MAX_ATTEMPTS, 500],
    ]);
  });

  it('gives up an attempt that gets no answer within 10 s and tries again', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    receiver.script('hang');
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('the second attempt', () => receiver.received.length === 2, { timeoutMs: 30_000 });
    const [first, second] = receiver.received;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(10_000);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    await waitUntil('recorded', async () => (await deliveriesOf(admin, endpoint.id))[0]?.status === 'succeeded');
    expect((await deliveriesOf(admin, endpoint.id))[0]).toMatchObject({ attempts: 2, lastResponseStatus: 200 });
  });

  it('deactivates an endpoint that answers 410 Gone', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    receiver.script(410);
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('the endpoint deactivated', async () => (await http().get(`operations/webhooks/${endpoint.id}`, { headers: admin.headers })).json<{ isActive: boolean }>().isActive === false);
    expect(await deliveriesOf(admin, endpoint.id)).toMatchObject([{ status: 'failed', attempts: 1, lastResponseStatus: 410 }]);
    await book();
    await drainJobs(t);
    expect(receiver.received).toHaveLength(1);
    expect(await deliveriesOf(admin, endpoint.id)).toHaveLength(1);
  });

  it('redelivers an event with the same webhook-id, to active endpoints only', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('delivered', () => receiver.received.length === 1);
    await drainJobs(t);
    const [delivery] = await deliveriesOf(admin, endpoint.id);

    const again = await http().post(`operations/webhooks/${endpoint.id}/deliveries/${delivery!.id}/redeliver`, undefined, { headers: admin.headers });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ eventId: delivery!.eventId, eventType: 'appointment.created', status: 'pending', attempts: 0 });
    await waitUntil('redelivered', () => receiver.received.length === 2);
    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(verified(endpoint.secret, second!)).toEqual(first!.event);

    // Not through another endpoint's path, not for an unknown delivery, not to an inactive endpoint.
    const stranger = await createEndpoint(t, admin, { url: other.url, events: ['review.created'] });
    expectProblem(await http().post(`operations/webhooks/${stranger.id}/deliveries/${delivery!.id}/redeliver`, undefined, { headers: admin.headers }), 404, 'not_found');
    expectProblem(await http().post(`operations/webhooks/${endpoint.id}/deliveries/${stranger.id}/redeliver`, undefined, { headers: admin.headers }), 404, 'not_found');
    await http().patch(`operations/webhooks/${endpoint.id}`, { isActive: false }, { headers: admin.headers });
    expectProblem(await http().post(`operations/webhooks/${endpoint.id}/deliveries/${delivery!.id}/redeliver`, undefined, { headers: admin.headers }), 409, 'conflict');
    const patient = await loginAs(t, 'patient');
    expectProblem(await http().post(`operations/webhooks/${endpoint.id}/deliveries/${delivery!.id}/redeliver`, undefined, { headers: patient.headers }), 403, 'forbidden');
  });

  it('sends nothing for a change that rolled back', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created', 'appointment.cancelled'] });
    const { doctor, book } = await bookingParties(t);
    const appointment = await book();
    await waitUntil('the booking delivered', () => receiver.received.length === 1);
    // The commit of a status change with this note fails after the event was recorded.
    await t.db.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION refuse_rollback_note() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await t.db.$executeRawUnsafe(`
      CREATE CONSTRAINT TRIGGER refuse_rollback_note AFTER INSERT ON appointment_status_history
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.note = 'roll back') EXECUTE FUNCTION refuse_rollback_note()`);
    try {
      const refused = await setStatus(doctor, appointment.id, 'cancelled', 'roll back');
      expect(refused.statusCode).toBe(500);
    } finally {
      await t.db.$executeRawUnsafe('DROP TRIGGER refuse_rollback_note ON appointment_status_history');
    }
    await drainJobs(t);
    expect(receiver.received.map((webhook) => webhook.event.type)).toEqual(['appointment.created']);
    expect(await t.db.webhookEvent.count({ where: { type: 'appointment.cancelled', data: { path: ['id'], equals: appointment.id } } })).toBe(0);
    expect(await deliveriesOf(admin, endpoint.id)).toHaveLength(1);

    expect((await setStatus(doctor, appointment.id, 'cancelled')).statusCode).toBe(200);
    await waitUntil('the committed cancellation delivered', () => receiver.received.length === 2);
  });

  it('purges finished deliveries and their events after 30 days, keeping pending ones', async () => {
    const admin = await loginAs(t, 'admin');
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    const { book } = await bookingParties(t);
    await book();
    await book();
    await waitUntil('both delivered', async () => (await deliveriesOf(admin, endpoint.id)).filter((delivery) => delivery.status === 'succeeded').length === 2);
    const [recent, old] = await deliveriesOf(admin, endpoint.id);
    const longAgo = new Date(Date.now() - (DELIVERY_LOG_DAYS + 1) * 86_400_000);
    await t.db.webhookDelivery.updateMany({ where: { endpointId: endpoint.id }, data: { createdAt: longAgo } });
    await t.db.webhookDelivery.update({ where: { id: recent!.id }, data: { status: 'pending' } });
    await t.db.webhookEvent.updateMany({ where: { deliveries: { some: { endpointId: endpoint.id } } }, data: { createdAt: longAgo } });

    expect(await purgeDeliveryLog(t.db, new Date(Date.now() - DELIVERY_LOG_DAYS * 86_400_000))).toBe(1);
    expect((await deliveriesOf(admin, endpoint.id)).map((delivery) => delivery.id)).toEqual([recent!.id]);
    expect(await t.db.webhookEvent.count({ where: { id: old!.eventId.slice('evt_'.length) } })).toBe(0);
    expect(await t.db.webhookEvent.count({ where: { id: recent!.eventId.slice('evt_'.length) } })).toBe(1);
  });

  it('connects to the address the host name resolved to when checked', async () => {
    const admin = await loginAs(t, 'admin');
    // Only the injected lookup knows this name: a delivery means the checked address was used.
    await createEndpoint(t, admin, { url: `http://hooks.internal:${receiver.port}/pinned`, events: ['appointment.created'] });
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('delivered through the looked-up address', () => receiver.received.length === 1);
    expect(receiver.received[0]!.headers.host).toBe(`hooks.internal:${receiver.port}`);
  });

  it('counts deliveries by outcome and the queue lag in /metrics', async () => {
    const value = async (series: string) => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text.split('\n').find((entry) => entry.startsWith(series));
      return Number(line?.split(' ').at(-1) ?? 'NaN');
    };
    const succeeded = await value('clinic_webhook_deliveries_total{outcome="succeeded"}');
    const retried = await value('clinic_webhook_deliveries_total{outcome="retried"}');
    const lagged = await value('clinic_webhook_queue_lag_seconds_count');
    const admin = await loginAs(t, 'admin');
    await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.created'] });
    receiver.script(500);
    const { book } = await bookingParties(t);
    await book();
    await waitUntil('delivered after a retry', () => receiver.received.length === 2);
    await drainJobs(t);
    expect(await value('clinic_webhook_deliveries_total{outcome="succeeded"}')).toBe(succeeded + 1);
    expect(await value('clinic_webhook_deliveries_total{outcome="retried"}')).toBe(retried + 1);
    expect(await value('clinic_webhook_queue_lag_seconds_count')).toBe(lagged + 1);
  });
});

describe('after a crash between the commit and the delivery', () => {
  it('a worker that starts later delivers what was committed', async () => {
    const receiverOfCrash = await startReceiver();
    // An API with no worker: the change commits and nothing sends it.
    const api = await buildTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WORKER_ENABLED: 'false' } });
    try {
      const admin = await loginAs(api, 'admin');
      const endpoint = await createEndpoint(api, admin, { url: receiverOfCrash.url, events: ['appointment.created'] });
      const { book } = await bookingParties(api);
      const appointment = await book();
      expect(receiverOfCrash.received).toHaveLength(0);
      const worker = await buildTestApp({ databaseUrl: api.config.database.url, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', SECRET_KEY: api.config.secretKey } });
      try {
        await waitUntil('delivered by the new worker', () => receiverOfCrash.received.length === 1);
        expect(verified(endpoint.secret, receiverOfCrash.received[0]!)).toMatchObject({ data: { id: appointment.id } });
        await drainJobs(worker);
        expect(receiverOfCrash.received).toHaveLength(1);
      } finally {
        await worker.close();
      }
    } finally {
      await api.close();
      await receiverOfCrash.close();
    }
  });
});
