// Request and response schemas of the webhooks module (`operations/webhooks/` routes).
import { z } from 'zod';
import { safeString } from '../../lib/strings.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

/** Every event an endpoint may subscribe to (API.md "Webhook events"). */
export const WEBHOOK_EVENT_TYPES = [
  'appointment.created',
  'appointment.confirmed',
  'appointment.cancelled',
  'appointment.rescheduled',
  'appointment.completed',
  'appointment.no_show',
  'review.created',
  'doctor_application.submitted',
  'doctor_application.decided',
  'waitlist.offered',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'must name at least one event')
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, 'must not repeat an event');
const urlSchema = safeString({ min: 1, max: 2000 }).describe(
  'An https:// URL that resolves to public addresses only (http:// and private addresses too with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true).',
);
const descriptionSchema = safeString({ max: 500 });

export const endpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string(),
    isActive: z.boolean(),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'WebhookEndpoint' });
export type EndpointView = z.output<typeof endpointSchema>;

export const createdEndpointSchema = endpointSchema
  .extend({ secret: z.string().describe('`whsec_` + base64 of 32 random bytes: the signing secret, shown only in this answer.') })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const createEndpointBody = z
  .strictObject({ url: urlSchema, events: eventsSchema, description: descriptionSchema.default('') })
  .meta({ id: 'CreateWebhookEndpointRequest' });
export type CreateEndpointInput = z.output<typeof createEndpointBody>;

export const updateEndpointBody = z
  .strictObject({ url: urlSchema.optional(), events: eventsSchema.optional(), description: descriptionSchema.optional(), isActive: z.boolean().optional() })
  .meta({ id: 'UpdateWebhookEndpointRequest' });
export type UpdateEndpointInput = z.output<typeof updateEndpointBody>;

export const deliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.string().describe('The event id, also sent as `webhook-id` (`evt_…`)'),
    eventType: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable().describe('The HTTP status of the last attempt; null before one, or when no answer came'),
    nextAttemptAt: z.iso.datetime({ offset: true }).nullable().describe('When a pending delivery is due next (earlier: waiting behind the endpoint’s earlier events)'),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'WebhookDelivery' });
export type DeliveryView = z.output<typeof deliverySchema>;

export const deliveryPageSchema = pageSchema(deliverySchema).meta({ id: 'WebhookDeliveryPage' });

export const deliveryListQuery = pageQuerySchema;

export const deliveryParamsSchema = z.object({ id: z.uuid(), deliveryId: z.uuid() });
