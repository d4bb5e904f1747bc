// SMTP down through a whole booking flow (register, activate, book, the doctor confirms, the
// patient cancels), then back: every queued mail is delivered, each exactly once, its Message-ID
// made from its job's id.
import { describe, expect, it } from 'vitest';
import { bearer, login, loginAs, randomEmail, randomPassword } from '../helpers/actors.ts';
import { otpFrom, type ReceivedMail } from '../helpers/mail.ts';
import { addDailyWindows, call, localDate } from '../helpers/scheduling.ts';
import { useSmtpTestApp } from '../helpers/smtp-app.ts';
import { drainJobs, waitUntil } from '../helpers/wait.ts';

const t = useSmtpTestApp({ limit: 30, delaySeconds: 1, maxDelaySeconds: 2 });

const failedAttempts = () => t.logs.filter((line) => line.includes('job failed; it will be retried') && line.includes('"queue":"mail"')).length;

/** What makes two deliveries the same mail: recipient, subject and body. */
const identity = (mail: ReceivedMail) => JSON.stringify([mail.to, mail.subject, mail.text]);

describe('SMTP down through a booking flow', () => {
  it('queues every mail while SMTP is down and delivers each exactly once when it is back', { timeout: 90_000 }, async () => {
    const doctor = await loginAs(t, 'doctor');
    await addDailyWindows(t.db, doctor.profileId, '08:00', '12:00');
    const email = randomEmail('smtp-down');
    const password = randomPassword();
    const mailJobsBefore = await t.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail'`;

    // Register while SMTP is down: 201 at once, the activation mail waits in the queue.
    await t.smtp.stop();
    const failedBefore = failedAttempts();
    const registered = await call(t.app, 'POST', 'user/register/', { payload: { email, password } });
    expect(registered.statusCode, registered.body).toBe(201);
    await waitUntil('a failed activation mail attempt', () => failedAttempts() > failedBefore);

    // The code can only come by mail: SMTP comes back for it, then goes down for the rest.
    await t.smtp.start();
    const activation = await t.smtp.waitFor((mail) => mail.to.includes(email) && mail.subject.includes('Activate'), 15_000);
    await t.smtp.stop();
    expect((await call(t.app, 'POST', 'user/account/activate/', { payload: { email, otp: otpFrom(activation) } })).statusCode).toBe(200);
    const patient = bearer(await login(t.app, { email, password }));

    const day = localDate(3);
    const slots = await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${doctor.profileId}&from=${day}&to=${day}`, { headers: patient });
    expect(slots.statusCode, slots.body).toBe(200);
    const startsAt = slots.json<{ startsAt: string }[]>()[0]!.startsAt;
    const booked = await call(t.app, 'POST', 'appointment/patient/', { headers: patient, payload: { doctorId: doctor.profileId, startsAt, reason: 'SMTP outage' } });
    expect(booked.statusCode, booked.body).toBe(201);
    const id = booked.json<{ id: string }>().id;
    const confirmed = await call(t.app, 'PATCH', `appointment/doctor/${id}/update_status/`, { headers: doctor.headers, payload: { status: 'confirmed' } });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const cancelled = await call(t.app, 'POST', `appointment/patient/${id}/cancel/`, { headers: patient, payload: {} });
    expect(cancelled.statusCode, cancelled.body).toBe(200);

    // Nothing got through while SMTP was down; attempts failed and will be retried.
    const failedDuringOutage = failedAttempts();
    await waitUntil('failed booking mail attempts', () => failedAttempts() > failedDuringOutage);
    const deliveredBeforeReturn = t.smtp.messages.length;

    await t.smtp.start();
    const flowMailJobs = async () =>
      (await t.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail'`)[0]!.n - mailJobsBefore[0]!.n;
    // Every job done: nothing is left that could send a mail, or send one twice.
    await drainJobs(t, { timeoutMs: 30_000 });

    const jobs = await flowMailJobs();
    const flowMail = t.smtp.messages;
    expect(deliveredBeforeReturn, 'only the activation mail got through before SMTP came back').toBe(1);
    // One delivery per queued mail job, and no two deliveries of the same mail.
    expect(flowMail).toHaveLength(jobs);
    expect(new Set(flowMail.map(identity)).size).toBe(flowMail.length);
    // Each carries its job's id as Message-ID, which a retry would repeat.
    const jobMessageIds = (await t.db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM pgboss.job WHERE name = 'mail'`).map((row) => `<${row.id}@clinic.test>`);
    const messageIds = flowMail.map((mail) => /^message-id:\s*(\S+)/im.exec(mail.raw)?.[1]);
    expect(new Set(messageIds).size).toBe(flowMail.length);
    for (const id of messageIds) expect(jobMessageIds).toContain(id);
    // The flow's mails are all there: the patient's about the confirmation, the doctor's about the request and the cancellation.
    expect(flowMail.filter((mail) => mail.to.includes(email)).length).toBeGreaterThanOrEqual(2);
    expect(flowMail.filter((mail) => mail.to.includes(doctor.user.email)).length).toBeGreaterThanOrEqual(2);
    expect(flowMail.some((mail) => mail.to.includes(doctor.user.email) && /cancel/i.test(mail.subject))).toBe(true);
    expect(jobs).toBeGreaterThanOrEqual(4);
  });
});
