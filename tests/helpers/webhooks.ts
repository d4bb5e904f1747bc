// Webhook test helpers: a receiver (an HTTP server on loopback that records what it is sent and
// answers from a script), endpoint creation through the API, signature checks with the
// standardwebhooks package, and a host name lookup that resolves names the tests choose.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import type { HostLookup, ResolvedAddress } from '../../src/lib/lookup.ts';
import { loginAs } from './actors.ts';
import type { TestApp } from './app.ts';
import { client } from './http.ts';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The parsed body: `{id, type, createdAt, data}`. */
  event: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

/** How the receiver answers one request: a status, or 'hang' (no answer until release()). */
export type Answer = number | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** TCP connections accepted, whatever came over them. */
  connections: number;
  /** Answers, in turn, to the next requests; 200 once they run out. */
  script(...answers: Answer[]): void;
  /** Answers 200 to every request left hanging. */
  release(): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  let answers: Answer[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, body, at: Date.now(), event: JSON.parse(body) as ReceivedWebhook['event'] });
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') hanging.push(response);
      else response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    for (const response of hanging.splice(0)) response.writeHead(200).end();
  };
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    connections: 0,
    script: (...next) => void (answers = next),
    release,
    async close() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => void (receiver.connections += 1));
  return receiver;
}

export interface CreatedEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  isActive: boolean;
  secret: string;
  createdAt: string;
}

/** POST operations/webhooks/ as `admin`; expects 201. */
export async function createEndpoint(t: TestApp, admin: { headers: Record<string, string> }, body: { url: string; events: string[]; description?: string }): Promise<CreatedEndpoint> {
  const response = await client(t.app).post('operations/webhooks', body, { headers: admin.headers });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedEndpoint>();
}

/** Verifies a received webhook's signature with the endpoint's secret (throws when it does not match) and answers the event. */
export function verified(secret: string, webhook: ReceivedWebhook): unknown {
  const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]));
  return new Webhook(secret).verify(webhook.body, headers);
}

/** A lookup that answers `names` from the map (changeable by the test) and refuses every other name. */
export function stubLookup(names: Map<string, ResolvedAddress[]>): HostLookup {
  return async (hostname) => {
    const addresses = names.get(hostname);
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses;
  };
}

/** The job options of a test app whose failed webhook attempts are retried after 1 s instead of 30 s. */
export const FAST_WEBHOOK_RETRIES = {
  pollingIntervalSeconds: 0.5,
  retryOverrides: { webhooks: { limit: 14, delaySeconds: 1, maxDelaySeconds: 1 } },
};

/**
 * A doctor and a patient, and `book()`: the doctor books the next of a series of past appointments
 * for the patient, which starts `confirmed` (one `appointment.created` event each).
 */
export async function bookingParties(t: TestApp) {
  const doctor = await loginAs(t, 'doctor');
  const patient = await loginAs(t, 'patient');
  let hoursAgo = 24 * 30;
  const book = async (): Promise<{ id: string; status: string }> => {
    hoursAgo -= 1;
    const startsAt = new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
    const response = await client(t.app).post('appointment/doctor', { patientId: patient.profileId, startsAt }, { headers: doctor.headers });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };
  return { doctor, patient, book };
}
