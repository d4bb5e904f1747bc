// SMS test helpers: a gateway on loopback that receives what the `http` and `twilio` providers
// send (raw body and headers, checked the way the real receiver would), answers from a script or
// refuses connections while "down", and the environment that points a test app at it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitUntil } from './wait.ts';

export interface ReceivedSms {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the gateway answered. */
  status: number;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface SmsGateway {
  /** Base URL (`http://127.0.0.1:port`). */
  url: string;
  received: ReceivedSms[];
  /** Answers, in turn, to the next requests; 201 once they run out. */
  script(...statuses: number[]): void;
  /** While down, every connection is dropped at once (the provider is unreachable), kept-alive ones too. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startSmsGateway(): Promise<SmsGateway> {
  const received: ReceivedSms[] = [];
  let statuses: number[] = [];
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = statuses.shift() ?? 201;
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now() });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const gateway: SmsGateway = {
    url: '',
    received,
    setDown(value) {
      down = value;
      if (down) for (const socket of sockets) socket.destroy();
    },
    script: (...next) => void (statuses = next),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket) => {
    if (down) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gateway;
}

export const SMS_HTTP_SECRET = 'sms-gateway-test-secret';

/** A test app's environment sending SMS through the `http` provider to `gateway`. */
export const httpSmsEnv = (gateway: SmsGateway) => ({ SMS_PROVIDER: 'http', SMS_HTTP_URL: `${gateway.url}/sms`, SMS_HTTP_SECRET });

/** What the http provider's receiver checks: the signature over the raw body. Answers the parsed message. */
export function verifiedSms(received: ReceivedSms, secret = SMS_HTTP_SECRET): { to: string; body: string; idempotencyKey: string } {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(received.body).digest('hex')}`);
  const actual = Buffer.from(String(received.headers['x-clinic-signature']));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new Error('bad X-Clinic-Signature');
  return JSON.parse(received.body) as { to: string; body: string; idempotencyKey: string };
}

/** The verified messages the gateway accepted for `to` so far (a refused attempt is not a message). */
export function smsTo(gateway: SmsGateway, to: string) {
  return gateway.received
    .filter((received) => received.status < 300)
    .map((received) => ({ ...verifiedSms(received), at: received.at }))
    .filter((message) => message.to === to);
}

/** Waits for the next message to `to` beyond the first `seen`, and answers its 6-digit code (or text). */
export async function nextSmsTo(gateway: SmsGateway, to: string, seen = 0): Promise<{ body: string; code: string | undefined; idempotencyKey: string }> {
  await waitUntil(`an SMS to ${to}`, () => smsTo(gateway, to).length > seen, { timeoutMs: 15_000 });
  const message = smsTo(gateway, to)[seen]!;
  return { body: message.body, code: /\b(\d{6})\b/.exec(message.body)?.[1], idempotencyKey: message.idempotencyKey };
}
