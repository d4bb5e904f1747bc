// Webhook endpoints (admin-managed), their delivery log and redelivery; and recordEvent, which
// writes an event and its deliveries in the transaction of the change that caused it.
import { randomBytes } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client.ts';
import { inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { encrypt } from '../../lib/jobs.ts';
import { deriveKey } from '../../lib/keys.ts';
import { pageWindow, type PageQuery } from '../../schemas/pagination.ts';
import { deliveryNotFound, endpointInactive, endpointNotFound, urlRefused } from './webhooks.errors.ts';
import * as queries from './webhooks.queries.ts';
import type { CreateEndpointInput, DeliveryView, EndpointView, UpdateEndpointInput, WebhookEventType } from './webhooks.schemas.ts';
import { resolveTarget, TargetRefusedError } from './webhooks.targets.ts';

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

const ENDPOINT_SELECT = { id: true, url: true, events: true, description: true, isActive: true, createdAt: true } as const;
type EndpointRow = Prisma.WebhookEndpointGetPayload<{ select: typeof ENDPOINT_SELECT }>;

function toEndpoint(row: EndpointRow): EndpointView {
  return { ...row, events: row.events as WebhookEventType[], createdAt: row.createdAt.toISOString() };
}

/** What the secret of endpoint `id` is encrypted under: the job-payload key, bound to the row. */
export const secretBinding = (id: string) => `webhook_endpoints.secret:${id}`;
export const secretKeyOf = (ctx: Pick<ServiceContext, 'config'>) => deriveKey(ctx.config.secretKey, 'mail-payload');

/** 400 naming `url` unless it passes the SSRF guard now. */
async function checkUrl(ctx: ServiceContext, url: string): Promise<void> {
  try {
    await resolveTarget(url, { allowPrivateNetworks: ctx.config.webhooks.allowPrivateNetworks, lookup: ctx.lookup });
  } catch (error) {
    if (error instanceof TargetRefusedError) throw urlRefused(error.message);
    throw error;
  }
}

/** A new endpoint with a fresh secret, which this answer alone shows. */
export async function createEndpoint(ctx: ServiceContext, input: CreateEndpointInput): Promise<EndpointView & { secret: string }> {
  await checkUrl(ctx, input.url);
  const id = uuidv7(ctx.clock.now().getTime());
  const secret = SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
  const row = await ctx.db.webhookEndpoint.create({
    data: {
      id,
      url: input.url,
      events: input.events,
      description: input.description,
      secretEncrypted: encrypt(secretKeyOf(ctx), secretBinding(id), { secret }) as unknown as Prisma.InputJsonValue,
      createdAt: ctx.clock.now(),
    },
    select: ENDPOINT_SELECT,
  });
  return { ...toEndpoint(row), secret };
}

/** Every endpoint, oldest first (a short list). */
export async function listEndpoints(ctx: ServiceContext): Promise<EndpointView[]> {
  const rows = await ctx.db.webhookEndpoint.findMany({ select: ENDPOINT_SELECT, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toEndpoint);
}

export async function getEndpoint(ctx: ServiceContext, input: { id: string }): Promise<EndpointView> {
  const row = await ctx.db.webhookEndpoint.findUnique({ where: { id: input.id }, select: ENDPOINT_SELECT });
  if (!row) throw endpointNotFound();
  return toEndpoint(row);
}

/** Changes the fields sent; a new URL passes the guard first. Reactivating does not resend what failed meanwhile. */
export async function updateEndpoint(ctx: ServiceContext, input: UpdateEndpointInput & { id: string }): Promise<EndpointView> {
  if (input.url !== undefined) await checkUrl(ctx, input.url);
  const { id, ...changes } = input;
  const updated = await ctx.db.webhookEndpoint.updateManyAndReturn({ where: { id }, data: changes, select: ENDPOINT_SELECT });
  if (!updated[0]) throw endpointNotFound();
  return toEndpoint(updated[0]);
}

/** Deletes the endpoint and its delivery log; its queued deliveries are dropped when their turn comes. */
export async function deleteEndpoint(ctx: ServiceContext, input: { id: string }): Promise<void> {
  const { count } = await ctx.db.webhookEndpoint.deleteMany({ where: { id: input.id } });
  if (count === 0) throw endpointNotFound();
}

export async function listDeliveries(ctx: ServiceContext, input: PageQuery & { id: string }): Promise<{ count: number; results: DeliveryView[] }> {
  await getEndpoint(ctx, input);
  return queries.deliveryPage(ctx.db, input.id, pageWindow(input));
}

/** Queues one delivery of an event to an endpoint, in the caller's transaction. */
async function enqueueDelivery(tx: TxContext, endpointId: string, eventId: string): Promise<string> {
  const id = uuidv7(tx.clock.now().getTime());
  const jobId = await tx.jobs.enqueue(tx.db, queries.WEBHOOK_QUEUE_NAME, { deliveryId: id, endpointId });
  // A standard-policy send always inserts; throwing keeps the change from committing without its delivery.
  if (!jobId) throw new Error('pg-boss did not create the webhook job');
  await tx.db.webhookDelivery.create({ data: { id, endpointId, eventId, jobId, createdAt: tx.clock.now() }, select: { id: true } });
  return id;
}

/** Sends the delivery's event to its endpoint again, as a new delivery behind the endpoint's queued ones (same `webhook-id`). */
export async function redeliver(ctx: ServiceContext, input: { id: string; deliveryId: string }): Promise<DeliveryView> {
  return inTransaction(ctx, async (tx) => {
    const endpoint = await tx.db.webhookEndpoint.findUnique({ where: { id: input.id }, select: { isActive: true } });
    if (!endpoint) throw endpointNotFound();
    const original = await tx.db.webhookDelivery.findFirst({ where: { id: input.deliveryId, endpointId: input.id }, select: { eventId: true } });
    if (!original) throw deliveryNotFound();
    if (!endpoint.isActive) throw endpointInactive();
    const id = await enqueueDelivery(tx, input.id, original.eventId);
    return (await queries.findDelivery(tx.db, input.id, id))!;
  });
}

/**
 * Records an event for every active endpoint subscribed to `type`, in the caller's transaction:
 * the event row, a delivery per endpoint and its job commit with the change or not at all.
 */
export async function recordEvent(tx: TxContext, type: WebhookEventType, data: object): Promise<void> {
  const endpoints = await tx.db.webhookEndpoint.findMany({ where: { isActive: true, events: { has: type } }, select: { id: true }, orderBy: { id: 'asc' } });
  if (endpoints.length === 0) return;
  const event = await tx.db.webhookEvent.create({ data: { type, data: data, createdAt: tx.clock.now() }, select: { id: true } });
  for (const endpoint of endpoints) await enqueueDelivery(tx, endpoint.id, event.id);
}
