// Delivery of webhooks: one job per delivery on a queue ordered per endpoint (pg-boss
// key_strict_fifo), so an endpoint's events go out in order and a delivery waiting for its retry
// holds that endpoint's later ones back, and no other endpoint's. An attempt succeeds on a 2xx
// within 10 s; 410 Gone deactivates the endpoint; anything else is retried after about 30 s,
// then at doubling intervals, until the last attempt, about a day after the first.
import { Webhook } from 'standardwebhooks';
import { decrypt, type EncryptedPayload, type QueueSpec } from '../../lib/jobs.ts';
import type { ServiceContext } from '../../lib/context.ts';
import type { ModuleJob } from '../module.ts';
import { webhookDeliveries, webhookQueueLag, type DeliveryOutcome } from './webhooks.metrics.ts';
import { eventIdOf, purgeDeliveryLog, WEBHOOK_QUEUE_NAME } from './webhooks.queries.ts';
import { secretBinding, secretKeyOf } from './webhooks.service.ts';
import { post, resolveTarget } from './webhooks.targets.ts';

/** Attempts per delivery: the waits double from 30-60 s, so the 12th comes 17-34 h after the first. */
export const MAX_ATTEMPTS = 12;
const ATTEMPT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'clinic-api-webhooks/1';
/** How long finished deliveries (and then their events) stay in the delivery log. */
export const DELIVERY_LOG_DAYS = 30;

export const WEBHOOK_QUEUE: QueueSpec = {
  name: WEBHOOK_QUEUE_NAME,
  // pg-boss waits delay·2^(n-1) to delay·2^n after the n-th failure. Its own limit stays above
  // ours: the handler ends a delivery for good itself, so the job completes and the endpoint's
  // next event goes out (a job failed for good would hold them back).
  retry: { limit: MAX_ATTEMPTS + 2, delaySeconds: 30, maxDelaySeconds: 86_400 },
  orderBy: 'endpointId',
  // An attempt takes at most 10 s; a job active for longer belonged to a worker that died.
  expireInSeconds: 60,
  // Attempts wait on other servers and hold no database connection meanwhile: up to 4 batches of
  // 10 endpoints at once per worker process. A batch ends with its slowest attempt (at most 10 s).
  batchSize: 10,
  concurrency: 4,
  parallel: true,
  deleteAfterSeconds: 24 * 3600,
};

export interface DeliveryJob {
  deliveryId: string;
  endpointId: string;
}

type Finish = { status: 'pending' | 'succeeded' | 'failed'; outcome: DeliveryOutcome };

function finishOf(responseStatus: number | null, attempts: number): Finish {
  if (responseStatus !== null && responseStatus >= 200 && responseStatus < 300) return { status: 'succeeded', outcome: 'succeeded' };
  if (responseStatus === 410) return { status: 'failed', outcome: 'deactivated' };
  if (attempts >= MAX_ATTEMPTS) return { status: 'failed', outcome: 'failed' };
  return { status: 'pending', outcome: 'retried' };
}

/** One attempt: the signed POST to the checked address; the response status, or null when none came. */
async function attempt(ctx: ServiceContext, target: { url: string; secret: string }, event: { id: string; type: string; createdAt: Date; data: unknown }) {
  const id = eventIdOf(event.id);
  const body = JSON.stringify({ id, type: event.type, createdAt: event.createdAt.toISOString(), data: event.data });
  const now = ctx.clock.now();
  const headers = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(target.secret).sign(id, now, body),
  };
  const checked = await resolveTarget(target.url, { allowPrivateNetworks: ctx.config.webhooks.allowPrivateNetworks, lookup: ctx.lookup });
  return post(checked, body, headers, ATTEMPT_TIMEOUT_MS);
}

/** Runs one delivery's attempt and records it; throws to have pg-boss retry it later. */
export async function deliver(ctx: ServiceContext, job: DeliveryJob): Promise<void> {
  const delivery = await ctx.db.webhookDelivery.findUnique({
    where: { id: job.deliveryId },
    select: {
      id: true,
      status: true,
      attempts: true,
      createdAt: true,
      endpoint: { select: { id: true, url: true, isActive: true, secretEncrypted: true } },
      event: { select: { id: true, type: true, createdAt: true, data: true } },
    },
  });
  // Its endpoint was deleted, or a worker that died after recording it ran it before.
  if (!delivery || delivery.status !== 'pending') return;
  const { endpoint } = delivery;
  const log = { endpointId: endpoint.id, deliveryId: delivery.id, attempt: delivery.attempts + 1 };
  if (!endpoint.isActive) {
    await ctx.db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'failed' }, select: { id: true } });
    webhookDeliveries.inc({ outcome: 'failed' });
    ctx.logger.info(log, 'webhook not sent: the endpoint is inactive');
    return;
  }
  if (delivery.attempts === 0) webhookQueueLag.observe((ctx.clock.now().getTime() - delivery.createdAt.getTime()) / 1000);

  let responseStatus: number | null = null;
  try {
    const { secret } = decrypt(secretKeyOf(ctx), secretBinding(endpoint.id), endpoint.secretEncrypted as unknown as EncryptedPayload) as { secret: string };
    responseStatus = await attempt(ctx, { url: endpoint.url, secret }, delivery.event);
  } catch (error) {
    // The message names the reason (refused target, timeout, connection error), never the URL or secret.
    ctx.logger.warn({ ...log, error: error instanceof Error ? error.message : String(error) }, 'webhook attempt got no answer');
  }

  const attempts = delivery.attempts + 1;
  const finish = finishOf(responseStatus, attempts);
  await ctx.db.$transaction(async (db) => {
    await db.webhookDelivery.update({
      where: { id: delivery.id },
      data: { status: finish.status, attempts, lastResponseStatus: responseStatus, lastAttemptAt: ctx.clock.now() },
      select: { id: true },
    });
    if (finish.outcome === 'deactivated') await db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { isActive: false }, select: { id: true } });
  });
  webhookDeliveries.inc({ outcome: finish.outcome });
  ctx.logger.info({ ...log, responseStatus, outcome: finish.outcome }, 'webhook attempt');
  if (finish.status === 'pending') throw new Error(`webhook attempt ${attempts} failed (${responseStatus ?? 'no answer'}); retrying later`);
}

export const webhookJobs: ModuleJob[] = [
  { queue: WEBHOOK_QUEUE, handle: (ctx, job: DeliveryJob) => deliver(ctx, job) },
  {
    queue: { name: 'webhooks.purge-delivery-log', cron: '47 * * * *' },
    handle: async (ctx) => {
      const count = await purgeDeliveryLog(ctx.db, new Date(ctx.clock.now().getTime() - DELIVERY_LOG_DAYS * 86_400_000));
      if (count > 0) ctx.logger.info({ count }, 'deleted old webhook deliveries');
    },
  },
];
