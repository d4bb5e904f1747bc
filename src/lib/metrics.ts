// Process-wide Prometheus counters that services and workers increment where things happen
// (mail delivered, logins), plus Node's default process and GC metrics. plugins/metrics.ts
// serves them at GET /metrics together with each app's HTTP, pool and queue metrics.
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** One registry per process: every app and worker in it counts into the same counters. */
export const processRegistry = new Registry();

// CPU, memory, heap spaces, event-loop lag, handles, and GC durations by kind.
collectDefaultMetrics({ register: processRegistry });

/** Delivery attempts of queued mail: `sent`, or `failed` (each failed attempt; the job is retried). */
export const mailDeliveries = new Counter({
  name: 'clinic_mail_deliveries_total',
  help: 'Mail delivery attempts by result (sent, failed).',
  labelNames: ['result'] as const,
  registers: [processRegistry],
});

/** Send attempts of queued text messages by provider: `sent`, or `failed` (each failed attempt; the job is retried). */
export const smsDeliveries = new Counter({
  name: 'clinic_sms_deliveries_total',
  help: 'SMS send attempts by provider (console, twilio, http, none) and result (sent, failed).',
  labelNames: ['provider', 'result'] as const,
  registers: [processRegistry],
});

/** Login attempts (password step or login code) that opened a session or were refused. */
export const logins = new Counter({
  name: 'clinic_logins_total',
  help: 'Login attempts by result (succeeded, failed).',
  labelNames: ['result'] as const,
  registers: [processRegistry],
});

// Zero series from the start, so rates and alerts work before the first event.
for (const result of ['sent', 'failed']) mailDeliveries.inc({ result }, 0);
for (const provider of ['console', 'twilio', 'http', 'none']) for (const result of ['sent', 'failed']) smsDeliveries.inc({ provider, result }, 0);
for (const result of ['succeeded', 'failed']) logins.inc({ result }, 0);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time check of an Authorization header against METRICS_TOKEN (equal-length hashes). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return timingSafeEqual(sha256(match?.[1] ?? ''), sha256(token)) && match !== null;
}
