// Reminders that follow the patient's preferences (API.md "Notifications"): one per chosen hour and
// channel, at its due time (never earlier, at most 60 s later), once each; skipped when the
// appointment is no longer confirmed; moved by a reschedule; scheduled or dropped when the
// preferences change. The SMS names neither the doctor nor the reason.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client } from '../../helpers/http.ts';
import { bookForPatient, mailTo, setStatus, type Appointment } from '../../helpers/scheduling.ts';
import { httpSmsEnv, nextSmsTo, smsTo, startSmsGateway, type SmsGateway } from '../../helpers/sms.ts';
import { waitUntil } from '../../helpers/wait.ts';

let gateway: SmsGateway;
beforeAll(async () => {
  gateway = await startSmsGateway();
});
afterAll(async () => {
  await gateway.close();
});

const t = useTestApp(() => ({ env: httpSmsEnv(gateway) }));
const HOUR = 3600 * 1000;
const REASON = 'Recurring migraine, see the neurology notes';

/** A patient with a verified phone (arranged in the database) and these preferences (through the API). */
async function patientWith(preferences: { email: boolean; sms: boolean; reminderHours: number[] }): Promise<Actor<'patient'> & { phone: string }> {
  const patient = await loginAs(t, 'patient');
  const phone = `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
  await t.db.user.update({ where: { id: patient.user.id }, data: { phone, phoneVerifiedAt: new Date() } });
  await setPreferences(patient, preferences);
  return { ...patient, phone };
}

async function setPreferences(patient: Actor, preferences: { email: boolean; sms: boolean; reminderHours: number[] }): Promise<void> {
  const response = await client(t.app).put('user/me/notifications', { ...preferences, loginCodeChannel: 'email' }, { headers: patient.headers });
  expect(response.statusCode, response.body).toBe(200);
}

/** The doctor books a confirmed appointment starting `leadMs` plus `secondsAhead` from now: its `leadMs` reminder falls due in `secondsAhead`. */
async function confirmedIn(doctor: Actor<'doctor'>, patient: Actor<'patient'>, leadMs: number, secondsAhead: number): Promise<Appointment> {
  const startsAt = new Date(Date.now() + leadMs + secondsAhead * 1000);
  startsAt.setUTCMilliseconds(0);
  const response = await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: startsAt.toISOString(), reason: REASON });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Appointment>();
}

/** Reminder jobs of an appointment that have run (completed), whatever they did. */
async function finishedReminders(appointmentId: string): Promise<number> {
  const [row] = await t.db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'appointments.reminder' AND state::text = 'completed' AND data->>'appointmentId' = ${appointmentId}`;
  return row!.n;
}

async function reminderJobs(appointmentId: string): Promise<{ hours: number; channel: string; startAfter: Date }[]> {
  return t.db.$queryRaw`
    SELECT (data->>'hours')::int AS hours, data->>'channel' AS channel, start_after AS "startAfter"
      FROM pgboss.job WHERE name = 'appointments.reminder' AND data->>'appointmentId' = ${appointmentId} ORDER BY 1, 2`;
}

// Each test waits for reminders due seconds ahead, on a machine that may be busy.
describe('reminders by preference', { timeout: 60_000 }, () => {
  it('sends one reminder per chosen hour and channel at its due time, to that patient only, with no doctor and no reason in the SMS', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await patientWith({ email: true, sms: true, reminderHours: [1, 24] });
    // Another patient who also chose SMS hears nothing of it.
    const other = await patientWith({ email: true, sms: true, reminderHours: [1, 24] });
    const appointment = await confirmedIn(doctor, patient, 1 * HOUR, 3);
    const due = new Date(appointment.startsAt).getTime() - 1 * HOUR;

    // The 24 h reminder is already past when booked: only the 1 h one, on both channels.
    expect((await reminderJobs(appointment.id)).map(({ hours, channel }) => `${hours}:${channel}`)).toEqual(['1:email', '1:sms']);
    const sms = await nextSmsTo(gateway, patient.phone);
    const [received] = smsTo(gateway, patient.phone);
    expect(received!.at).toBeGreaterThanOrEqual(due);
    expect(received!.at - due).toBeLessThan(60_000);
    expect(sms.body).toMatch(/^Clinic: reminder of your appointment on .+\. If you cannot come, please cancel it\.$/);
    expect(sms.body).not.toContain('migraine');
    expect(sms.body).not.toContain(doctor.user.email);
    expect(sms.idempotencyKey).toBe(`reminder:${appointment.id}:1`);
    const mail = await mailTo(t, patient.user.email, 'Reminder', undefined, 15_000);
    expect(mail.subject).toContain('Reminder');

    await waitUntil('both reminder jobs ran', async () => (await finishedReminders(appointment.id)) === 2, { timeoutMs: 15_000 });
    expect(smsTo(gateway, patient.phone)).toHaveLength(1);
    expect(t.mail.messages.filter((message) => message.to === patient.user.email && message.subject.includes('Reminder'))).toHaveLength(1);
    expect(smsTo(gateway, other.phone)).toHaveLength(0);
  });

  it('follows the appointment: none once cancelled, and a reschedule moves them to the new time', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await patientWith({ email: false, sms: true, reminderHours: [1] });
    const cancelled = await confirmedIn(doctor, patient, 1 * HOUR, 2);
    expect((await setStatus(t, doctor, cancelled.id, 'cancelled')).statusCode).toBe(200);
    const moved = await confirmedIn(doctor, patient, 1 * HOUR, 3);
    const newStart = new Date(new Date(moved.startsAt).getTime() + 3 * 1000);
    const rescheduled = await client(t.app).post(`appointment/doctor/${moved.id}/reschedule`, { startsAt: newStart.toISOString() }, { headers: doctor.headers });
    expect(rescheduled.statusCode, rescheduled.body).toBe(201);
    const replacement = rescheduled.json<Appointment>();

    const sms = await nextSmsTo(gateway, patient.phone);
    expect(sms.idempotencyKey).toBe(`reminder:${replacement.id}:1`);
    expect(smsTo(gateway, patient.phone)[0]!.at).toBeGreaterThanOrEqual(newStart.getTime() - 1 * HOUR);
    // Every reminder job ran (the cancelled and the moved ones skipped): one SMS in all.
    for (const id of [cancelled.id, moved.id, replacement.id]) {
      await waitUntil(`the reminder of ${id} ran`, async () => (await finishedReminders(id)) === 1, { timeoutMs: 15_000 });
    }
    expect(smsTo(gateway, patient.phone)).toHaveLength(1);
  });

  it('follows the preferences: hours chosen later are scheduled for upcoming appointments, hours dropped are not sent', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await patientWith({ email: false, sms: true, reminderHours: [24] });
    const later = await confirmedIn(doctor, patient, 2 * HOUR, 3);
    expect(await reminderJobs(later.id)).toEqual([]);
    await setPreferences(patient, { email: false, sms: true, reminderHours: [2] });
    expect((await reminderJobs(later.id)).map(({ hours, channel }) => `${hours}:${channel}`)).toEqual(['2:sms']);
    const dropped = await confirmedIn(await loginAs(t, 'doctor'), patient, 2 * HOUR, 6);
    expect((await reminderJobs(dropped.id)).map(({ hours, channel }) => `${hours}:${channel}`)).toEqual(['2:sms']);

    const sms = await nextSmsTo(gateway, patient.phone);
    expect(sms.idempotencyKey).toBe(`reminder:${later.id}:2`);
    // Saving the same choice again schedules nothing twice.
    await setPreferences(patient, { email: false, sms: true, reminderHours: [2] });
    expect(await reminderJobs(later.id)).toHaveLength(1);
    // Dropping the 2 h reminder (and SMS) before the second one is due: its job runs and sends nothing.
    await setPreferences(patient, { email: false, sms: false, reminderHours: [1] });
    await waitUntil('the dropped reminder ran', async () => (await finishedReminders(dropped.id)) === 1, { timeoutMs: 15_000 });
    expect(smsTo(gateway, patient.phone)).toHaveLength(1);
  });
});
