// Account mail through a real SMTP server on loopback: requests never wait for SMTP, and mail
// enqueued while the server is down arrives once it is back.
import { describe, expect, it } from 'vitest';
import { createUser, login, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { post } from '../../helpers/accounts.ts';
import { useSmtpTestApp } from '../../helpers/smtp-app.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { otpFrom } from '../../helpers/mail.ts';

const t = useSmtpTestApp({ limit: 5, delaySeconds: 1, maxDelaySeconds: 2 });

describe('mail over SMTP', () => {
  it('a reset code goes out over SMTP and works', async () => {
    const user = await createUser(t.db);
    expect((await post(t.app, 'forget-password', { email: user.email })).statusCode).toBe(202);
    const received = await t.smtp.waitFor((mail) => mail.to.includes(user.email) && mail.subject.includes('Reset'), 10_000);
    expect(received.from).toBe('no-reply@clinic.test');
    const otp = otpFrom(received);
    const newPassword = randomPassword();
    expect((await post(t.app, 'forget-password/confirm', { email: user.email, otp, newPassword })).statusCode).toBe(200);
    await login(t.app, { email: user.email, password: newPassword });
  });

  it('register answers 201 while SMTP is down; the activation mail arrives once SMTP is back, and its code activates', async () => {
    const failures = () => t.logs.filter((line) => line.includes('job failed; it will be retried')).length;
    const failedBefore = failures();
    await t.smtp.stop();
    const email = randomEmail('durable');
    const started = Date.now();
    const response = await post(t.app, 'register', { email, password: randomPassword() });
    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(201);
    // The request did not wait for (or on) the mail server.
    expect(elapsed).toBeLessThan(2_000);

    // A delivery attempt failed while the server was down...
    await waitUntil('a failed send attempt', () => failures() > failedBefore, { timeoutMs: 5_000 });
    expect(t.smtp.messages.some((mail) => mail.to.includes(email))).toBe(false);

    // ...and the retry delivers it once the server is back.
    await t.smtp.start();
    const received = await t.smtp.waitFor((mail) => mail.to.includes(email), 15_000);
    expect(received.subject).toContain('Activate');
    const otp = otpFrom(received);
    expect((await post(t.app, 'account/activate', { email, otp })).statusCode).toBe(200);
    expect((await t.db.user.findUniqueOrThrow({ where: { email } })).isActive).toBe(true);
  });
});
