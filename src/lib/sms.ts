// Sends one text message through the provider SMS_PROVIDER names: `console` prints it readably
// (a developer trying the API), `twilio` posts to Twilio's Messages API, `http` posts signed JSON
// to a gateway of the clinic's own. Without a provider, messages are refused, so their jobs wait
// and retry until one is configured. A send resolves once the provider accepted the message and
// rejects otherwise (the job queue retries it).
import { createHmac } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Logger } from './mailer.ts';

export interface SmsMessage {
  /** E.164 number. */
  to: string;
  body: string;
  /** Stable across retries of one message, so a receiver can recognise a copy. */
  idempotencyKey: string;
}

export interface SmsSender {
  /** The provider's name, the `provider` label of the SMS metrics. */
  provider: string;
  send(message: SmsMessage): Promise<void>;
}

/** A provider that answered, but not with a 2xx. */
export class SmsRefusedError extends Error {
  override name = 'SmsRefusedError';
}

/** A chosen provider's settings: config.ts requires every one of them with it. */
type Settled<T> = { [K in keyof T]-?: NonNullable<T[K]> };

/** A provider must answer within this, or the attempt fails and is retried later. */
const SMS_TIMEOUT_MS = 10_000;
export const SMS_SIGNATURE_HEADER = 'x-clinic-signature';

/** `print` is where the console provider writes: stdout, beside the printed mail, unless a test captures it. */
export function createSmsSender(sms: Config['sms'], logger: Logger, print: (text: string) => void = (text) => void process.stdout.write(text)): SmsSender {
  switch (sms.provider) {
    case 'console':
      return createConsoleSender(print);
    case 'twilio':
      return createTwilioSender(sms.twilio as Settled<Config['sms']['twilio']>);
    case 'http':
      return createHttpSender(sms.http as Settled<Config['sms']['http']>);
    default:
      logger.warn({}, 'SMS_PROVIDER is not set: text messages wait in the queue until a provider is configured');
      return {
        provider: 'none',
        async send() {
          throw new Error('no SMS provider is configured (SMS_PROVIDER)');
        },
      };
  }
}

function createConsoleSender(print: (text: string) => void): SmsSender {
  const rule = '─'.repeat(72);
  return {
    provider: 'console',
    async send(message) {
      print(`\n${rule}\nSMS to: ${message.to}\n\n${message.body}\n${rule}\n`);
    },
  };
}

async function expectAccepted(response: Response, provider: string): Promise<void> {
  // The body is not needed (and may echo the message): release the connection.
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) throw new SmsRefusedError(`${provider} answered ${response.status}`);
}

/** Twilio's Messages API: form-encoded To, From and Body, HTTP basic auth with the account SID and token. */
function createTwilioSender(twilio: Settled<Config['sms']['twilio']>): SmsSender {
  const url = `${twilio.apiUrl}/2010-04-01/Accounts/${encodeURIComponent(twilio.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`;
  return {
    provider: 'twilio',
    async send(message) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: message.to, From: twilio.from, Body: message.body }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
      });
      await expectAccepted(response, 'twilio');
    },
  };
}

/** `sha256=<hex HMAC-SHA256 of the raw body>` with SMS_HTTP_SECRET: what the http provider's receiver checks. */
export function smsSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** A JSON POST of `{to, body, idempotencyKey}`, signed in X-Clinic-Signature; any 2xx is delivered. */
function createHttpSender(http: Settled<Config['sms']['http']>): SmsSender {
  return {
    provider: 'http',
    async send(message) {
      const body = JSON.stringify({ to: message.to, body: message.body, idempotencyKey: message.idempotencyKey });
      const response = await fetch(http.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SMS_SIGNATURE_HEADER]: smsSignature(http.secret, body) },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
      });
      await expectAccepted(response, 'http');
    },
  };
}
