// The SMS provider and one webhook endpoint down for "a minute", then back: every text message and
// every event is delivered exactly once afterwards, and the healthy endpoint was never held back.
// The minute is shortened: the retry policies are overridden to wait 1-2 s instead of 5 s (SMS)
// and 30 s (webhooks) before the first retry, and the outage lasts about 8 s, so each queue goes
// through several failed attempts, as many as a real minute gives the real schedules (SMS: 5, 10,
// 20 s...; webhooks: 30 s, then 60 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/actors.ts';
import { useTestApp } from '../helpers/app.ts';
import { client } from '../helpers/http.ts';
import { postReview, reviewerOf } from '../helpers/reviews.ts';
import { bookForPatient } from '../helpers/scheduling.ts';
import { httpSmsEnv, startSmsGateway, verifiedSms, type SmsGateway } from '../helpers/sms.ts';
import { drainJobs, waitUntil } from '../helpers/wait.ts';
import { createEndpoint, startReceiver, verified, type Receiver } from '../helpers/webhooks.ts';

const OUTAGE_MS = 8_000;
const HOUR = 3600 * 1000;

let gateway: SmsGateway;
let failing: Receiver;
let healthy: Receiver;
beforeAll(async () => {
  gateway = await startSmsGateway();
  failing = await startReceiver();
  healthy = await startReceiver();
});
afterAll(async () => {
  await gateway.close();
  await failing.close();
  await healthy.close();
});

const t = useTestApp(() => ({
  env: { ...httpSmsEnv(gateway), WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
  overrides: {
    jobOptions: {
      pollingIntervalSeconds: 0.5,
      retryOverrides: { sms: { limit: 30, delaySeconds: 1, maxDelaySeconds: 2 }, webhooks: { limit: 14, delaySeconds: 1, maxDelaySeconds: 2 } },
    },
  },
}));
const http = () => client(t.app);

const metric = async (series: string) => {
  const line = (await t.app.inject({ method: 'GET', url: '/metrics' })).body.split('\n').find((entry) => entry.startsWith(series));
  return Number(line?.split(' ').at(-1) ?? 'NaN');
};
const failedAttempts = (queue: string) => t.logs.filter((line) => line.includes('job failed; it will be retried') && line.includes(`"queue":"${queue}"`)).length;

describe('SMS provider and a webhook endpoint down for a minute', () => {
  it('delivers every SMS and every event exactly once when they are back', { timeout: 60_000 }, async () => {
    const admin = await loginAs(t, 'admin');
    const events = ['appointment.created', 'appointment.cancelled', 'review.created'];
    const down = await createEndpoint(t, admin, { url: failing.url, events });
    const up = await createEndpoint(t, admin, { url: healthy.url, events });
    const sentBefore = await metric('clinic_sms_deliveries_total{provider="http",result="sent"}');
    const failedBefore = await metric('clinic_sms_deliveries_total{provider="http",result="failed"}');

    // Three patients with SMS: a phone verification code, a login code and a reminder due during the outage.
    const doctor = await loginAs(t, 'doctor');
    const verifying = await loginAs(t, 'patient');
    const signingIn = await loginAs(t, 'patient');
    const reminded = await loginAs(t, 'patient');
    const phones = { verifying: '+15557000001', signingIn: '+15557000002', reminded: '+15557000003' };
    for (const [actor, phone] of [[signingIn, phones.signingIn], [reminded, phones.reminded]] as const) {
      await t.db.user.update({ where: { id: actor.user.id }, data: { phone, phoneVerifiedAt: new Date(), twoStepLogin: actor === signingIn } });
    }
    const chosen = { email: false, reminderHours: [1] };
    expect((await http().put('user/me/notifications', { ...chosen, sms: false, loginCodeChannel: 'sms' }, { headers: signingIn.headers })).statusCode).toBe(200);
    expect((await http().put('user/me/notifications', { ...chosen, sms: true, loginCodeChannel: 'email' }, { headers: reminded.headers })).statusCode).toBe(200);

    // Down: the SMS gateway drops every connection, the failing endpoint answers 503.
    gateway.setDown(true);
    failing.script(...Array<number>(1000).fill(503));
    const outageEnds = Date.now() + OUTAGE_MS;

    expect((await http().post('user/me/phone/verify', { phone: phones.verifying }, { headers: verifying.headers })).statusCode).toBe(202);
    expect((await http().post('user/login', { email: signingIn.user.email, password: signingIn.user.password })).statusCode).toBe(202);
    const startsAt = new Date(Date.now() + 1 * HOUR + 2_000);
    startsAt.setUTCMilliseconds(0);
    const booked = await bookForPatient(t, doctor, { patientId: reminded.profileId, startsAt: startsAt.toISOString() });
    expect(booked.statusCode, booked.body).toBe(201);
    const walkIn = await bookForPatient(t, doctor, { patientId: verifying.profileId, startsAt: new Date(Date.now() - 3 * HOUR).toISOString() });
    expect(walkIn.statusCode, walkIn.body).toBe(201);
    expect((await http().patch(`appointment/doctor/${walkIn.json<{ id: string }>().id}/update_status`, { status: 'cancelled' }, { headers: doctor.headers })).statusCode).toBe(200);
    const reviewer = await reviewerOf(t, [doctor.profileId]);
    await postReview(t, reviewer, { doctorId: doctor.profileId, rating: 4 });

    // The healthy endpoint gets every event during the outage: one failing endpoint holds back no other.
    await waitUntil('the healthy endpoint got all 4 events', () => healthy.received.length === 4, { timeoutMs: 15_000 });
    await waitUntil('repeated failed SMS attempts', () => failedAttempts('sms') >= 6, { timeoutMs: 15_000 });
    await waitUntil('repeated failed webhook attempts', () => failing.received.length >= 3, { timeoutMs: 15_000 });
    await waitUntil('the end of the outage', () => Date.now() >= outageEnds, { timeoutMs: OUTAGE_MS + 1_000 });
    expect(gateway.received).toHaveLength(0);

    // Back.
    const recoveredAt = failing.received.length;
    failing.script();
    gateway.setDown(false);
    await waitUntil('4 events at the recovered endpoint', () => failing.received.length - recoveredAt >= 4, { timeoutMs: 20_000 });
    await waitUntil('3 SMS at the recovered gateway', () => gateway.received.length >= 3, { timeoutMs: 20_000 });
    await drainJobs(t, { timeoutMs: 20_000 });

    // Exactly once: each text message (by idempotency key) and each event (by webhook-id).
    const texts = gateway.received.map((received) => verifiedSms(received));
    expect(texts.map((text) => text.to).toSorted()).toEqual(Object.values(phones).toSorted());
    expect(new Set(texts.map((text) => text.idempotencyKey)).size).toBe(3);
    expect(texts.find((text) => text.to === phones.reminded)!.idempotencyKey).toBe(`reminder:${booked.json<{ id: string }>().id}:1`);
    const afterRecovery = failing.received.slice(recoveredAt);
    for (const webhook of afterRecovery) verified(down.secret, webhook);
    const healthyIds = healthy.received.map((webhook) => (verified(up.secret, webhook) as { id: string; type: string }).type);
    expect(healthyIds).toEqual(['appointment.created', 'appointment.created', 'appointment.cancelled', 'review.created']);
    // In order, each once: the same sequence the healthy endpoint got.
    expect(afterRecovery.map((webhook) => webhook.event.type)).toEqual(healthyIds);
    expect(new Set(afterRecovery.map((webhook) => webhook.event.id)).size).toBe(4);
    const deliveries = (await http().get(`operations/webhooks/${down.id}/deliveries`, { headers: admin.headers })).json<{ results: { status: string; attempts: number }[] }>().results;
    expect(deliveries.map((delivery) => delivery.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(Math.max(...deliveries.map((delivery) => delivery.attempts))).toBeGreaterThanOrEqual(3);

    // /metrics counted the failed attempts and the 3 sends of the http provider.
    expect(await metric('clinic_sms_deliveries_total{provider="http",result="sent"}')).toBe(sentBefore + 3);
    expect(await metric('clinic_sms_deliveries_total{provider="http",result="failed"}')).toBeGreaterThanOrEqual(failedBefore + 6);
  });
});
