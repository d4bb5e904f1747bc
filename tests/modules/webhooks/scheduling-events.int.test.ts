// Webhook events of rescheduling and the waitlist: `appointment.rescheduled` (the new appointment),
// `waitlist.offered` (the entry as the API answers it) and the `appointment.created` of an
// accepted offer are recorded and delivered, signed, to a local receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { addDailyWindows, book, call, freeSlots, localDate, type Appointment } from '../../helpers/scheduling.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { createEndpoint, FAST_WEBHOOK_RETRIES, startReceiver, verified, type Receiver } from '../../helpers/webhooks.ts';

const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, overrides: { jobOptions: FAST_WEBHOOK_RETRIES } });

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe('webhook events of rescheduling and the waitlist', () => {
  it('records and delivers appointment.rescheduled, waitlist.offered and the appointment.created of an accepted offer', async () => {
    const [admin, doctor, mover, waiter] = await Promise.all([loginAs(t, 'admin'), loginAs(t, 'doctor'), loginAs(t, 'patient'), loginAs(t, 'patient')]);
    const endpoint = await createEndpoint(t, admin, { url: receiver.url, events: ['appointment.rescheduled', 'waitlist.offered', 'appointment.created'] });
    await addDailyWindows(t.db, doctor.profileId, '08:00', '10:00', 30);
    const [from] = await freeSlots(t, doctor.profileId, localDate(2), localDate(2), {});
    const [to] = await freeSlots(t, doctor.profileId, localDate(3), localDate(3), {});
    const booked = (await book(t, mover, { doctorId: doctor.profileId, startsAt: from!.startsAt })).json<Appointment>();
    const entry = await call(t.app, 'POST', 'appointment/waitlist/', { headers: waiter.headers, payload: { doctorId: doctor.profileId, from: localDate(2), to: localDate(2) } });
    expect(entry.statusCode, entry.body).toBe(201);

    const moved = await call(t.app, 'POST', `appointment/patient/${booked.id}/reschedule/`, { headers: mover.headers, payload: { startsAt: to!.startsAt } });
    expect(moved.statusCode, moved.body).toBe(201);
    await waitUntil('the reschedule and the offer delivered', () => receiver.received.length >= 3);
    const byType = (type: string) => receiver.received.filter((webhook) => webhook.event.type === type);
    const [rescheduled] = byType('appointment.rescheduled');
    verified(endpoint.secret, rescheduled!);
    expect(rescheduled!.event.data).toMatchObject({ id: moved.json<Appointment>().id, rescheduledFromId: booked.id, startsAt: to!.startsAt });
    const [offered] = byType('waitlist.offered');
    verified(endpoint.secret, offered!);
    expect(offered!.event.data).toMatchObject({ id: entry.json<{ id: string }>().id, status: 'offered', offer: { startsAt: from!.startsAt } });
    expect(byType('appointment.created')).toHaveLength(1);

    const accepted = await call(t.app, 'POST', `appointment/waitlist/${entry.json<{ id: string }>().id}/accept/`, { headers: waiter.headers, payload: { type: 'in_person' } });
    expect(accepted.statusCode, accepted.body).toBe(201);
    await waitUntil('the accepted offer’s booking delivered', () => byType('appointment.created').length === 2);
    expect(byType('appointment.created')[1]!.event.data).toMatchObject({ id: accepted.json<Appointment>().id, startsAt: from!.startsAt, patient: { id: waiter.profileId } });
    const recorded = await t.db.webhookEvent.findMany({ where: { type: { in: ['appointment.rescheduled', 'waitlist.offered'] } }, select: { type: true } });
    expect(recorded.map((event) => event.type).sort()).toEqual(['appointment.rescheduled', 'waitlist.offered']);
  });
});
