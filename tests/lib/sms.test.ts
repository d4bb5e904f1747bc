// The SMS providers against a gateway on loopback: exactly what Twilio's Messages API and the
// clinic's own http receiver are sent (path, auth, headers, body, signature); non-2xx answers and
// unreachable providers reject (so the job is retried); the console provider prints readably.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createSmsSender, SmsRefusedError } from '../../src/lib/sms.ts';
import { SMS_HTTP_SECRET, startSmsGateway, verifiedSms, type SmsGateway } from '../helpers/sms.ts';

const base = { SECRET_KEY: 'k'.repeat(40), DATABASE_URL: 'postgresql://app@db.internal:5432/clinic', NODE_ENV: 'test' };
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const message = { to: '+15551230001', body: 'Clinic: reminder of your appointment on Monday.', idempotencyKey: 'reminder:abc:24' };

let gateway: SmsGateway;
beforeAll(async () => {
  gateway = await startSmsGateway();
});
afterAll(async () => {
  await gateway.close();
});

describe('twilio provider', () => {
  const twilioConfig = () =>
    loadConfig({ ...base, SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC0123456789abcdef', TWILIO_AUTH_TOKEN: 'twilio-token', TWILIO_FROM: '+15550000000', TWILIO_API_URL: `${gateway.url}/` }).sms;

  it('posts To, From and Body form-encoded to the Messages resource with basic auth', async () => {
    const before = gateway.received.length;
    await createSmsSender(twilioConfig(), silent).send(message);
    const request = gateway.received[before]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/2010-04-01/Accounts/AC0123456789abcdef/Messages.json');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('AC0123456789abcdef:twilio-token').toString('base64')}`);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ To: message.to, From: '+15550000000', Body: message.body });
  });

  it('rejects a non-2xx answer, naming only the provider and status', async () => {
    gateway.script(429);
    const sending = createSmsSender(twilioConfig(), silent).send(message);
    await expect(sending).rejects.toBeInstanceOf(SmsRefusedError);
    await expect(sending).rejects.toThrow('twilio answered 429');
  });
});

describe('http provider', () => {
  const httpConfig = () => loadConfig({ ...base, SMS_PROVIDER: 'http', SMS_HTTP_URL: `${gateway.url}/sms`, SMS_HTTP_SECRET }).sms;

  it('posts {to, body, idempotencyKey} as JSON signed with HMAC-SHA256 of the raw body', async () => {
    const before = gateway.received.length;
    await createSmsSender(httpConfig(), silent).send(message);
    const request = gateway.received[before]!;
    expect(request.path).toBe('/sms');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-clinic-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifiedSms(request)).toEqual(message);
    expect(() => verifiedSms(request, 'another-secret-of-16+')).toThrow('bad X-Clinic-Signature');
  });

  it('treats every 2xx as delivered and anything else as a failure', async () => {
    const sender = createSmsSender(httpConfig(), silent);
    gateway.script(200, 202, 204, 500, 404, 302);
    for (let i = 0; i < 3; i++) await sender.send(message);
    for (let i = 0; i < 2; i++) await expect(sender.send(message)).rejects.toBeInstanceOf(SmsRefusedError);
    // Redirects are not followed: a failure like any other.
    await expect(sender.send(message)).rejects.toThrow();
  });

  it('rejects while the provider is unreachable', async () => {
    gateway.setDown(true);
    try {
      await expect(createSmsSender(httpConfig(), silent).send(message)).rejects.toThrow();
    } finally {
      gateway.setDown(false);
    }
  });
});

describe('console provider and no provider', () => {
  it('prints a readable block with the number and text (the default in development)', async () => {
    const printed: string[] = [];
    const sms = loadConfig({ ...base, NODE_ENV: 'development' }).sms;
    expect(sms.provider).toBe('console');
    await createSmsSender(sms, silent, (text) => printed.push(text)).send(message);
    expect(printed.join('')).toContain(`SMS to: ${message.to}\n\n${message.body}\n`);
  });

  it('refuses every message when no provider is configured, so it waits in the queue', async () => {
    const sms = loadConfig(base).sms;
    expect(sms.provider).toBeUndefined();
    const sender = createSmsSender(sms, silent);
    expect(sender.provider).toBe('none');
    await expect(sender.send(message)).rejects.toThrow('no SMS provider is configured (SMS_PROVIDER)');
  });
});
