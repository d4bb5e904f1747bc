// The webhooks module: endpoints that integrations register (admins), and signed, ordered,
// retried deliveries of the domain events to them. It owns webhook_endpoints, webhook_events and
// webhook_deliveries, and listens to the other modules' events: their rows are written in the
// transaction of the change (lib/events.ts runs subscribers there).
import type { EventPayloads } from '../../lib/events.ts';
import type { ModuleDescriptor } from '../module.ts';
import { webhookJobs } from './webhooks.jobs.ts';
import webhooksRoutes from './webhooks.routes.ts';
import type { WebhookEventType } from './webhooks.schemas.ts';
import { recordEvent } from './webhooks.service.ts';

/** The webhook event of an appointment's new status; the other statuses send none. */
const STATUS_EVENTS: Partial<Record<EventPayloads['appointment.status_changed']['appointment']['status'], WebhookEventType>> = {
  confirmed: 'appointment.confirmed',
  cancelled: 'appointment.cancelled',
  completed: 'appointment.completed',
  no_show: 'appointment.no_show',
};

export const webhooksModule: ModuleDescriptor = {
  name: 'webhooks',
  routes: [{ prefix: '/operations', plugin: webhooksRoutes }],
  tags: [{ name: 'webhooks', description: 'Signed event deliveries to integrations (Standard Webhooks), managed by admins.' }],
  jobs: webhookJobs,
  subscriptions: [
    { event: 'appointment.created', handle: (tx, { appointment }) => recordEvent(tx, 'appointment.created', appointment) },
    { event: 'appointment.rescheduled', handle: (tx, { appointment }) => recordEvent(tx, 'appointment.rescheduled', appointment) },
    { event: 'waitlist.offered', handle: (tx, { entry }) => recordEvent(tx, 'waitlist.offered', entry) },
    {
      event: 'appointment.status_changed',
      handle: async (tx, { appointment }) => {
        const type = STATUS_EVENTS[appointment.status];
        if (type) await recordEvent(tx, type, appointment);
      },
    },
    { event: 'review.created', handle: (tx, { review }) => recordEvent(tx, 'review.created', review) },
    { event: 'doctor_application.submitted', handle: (tx, { application }) => recordEvent(tx, 'doctor_application.submitted', application) },
    { event: 'doctor_application.decided', handle: (tx, { application }) => recordEvent(tx, 'doctor_application.decided', application) },
  ],
};
