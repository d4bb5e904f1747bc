// The webhook series of GET /metrics (in the process-wide registry of lib/metrics.ts): delivery
// attempts by outcome, and how long events wait for their first attempt.
import { Counter, Histogram } from 'prom-client';
import { processRegistry } from '../../lib/metrics.ts';

export const DELIVERY_OUTCOMES = ['succeeded', 'retried', 'failed', 'deactivated'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const webhookDeliveries = new Counter({
  name: 'clinic_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: succeeded (2xx), retried (tried again later), failed (given up, or the endpoint is inactive), deactivated (410 Gone).',
  labelNames: ['outcome'] as const,
  registers: [processRegistry],
});

export const webhookQueueLag = new Histogram({
  name: 'clinic_webhook_queue_lag_seconds',
  help: 'Seconds from an event to its first delivery attempt to an endpoint (waiting behind earlier events included).',
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400],
  registers: [processRegistry],
});

// Zero series from the start, so rates and alerts work before the first delivery.
for (const outcome of DELIVERY_OUTCOMES) webhookDeliveries.inc({ outcome }, 0);
