// Webhook SQL beyond single-row lookups: a page of deliveries with their next attempt's time, and
// the purge of the delivery log.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import type { DeliveryView, WebhookEventType } from './webhooks.schemas.ts';

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: DeliveryView['status'];
  attempts: number;
  last_response_status: number | null;
  next_attempt_at: Date | null;
  created_at: Date;
  total: bigint;
}

/** The wire id of an event (`webhook-id`). */
export const eventIdOf = (id: string) => `evt_${id}`;

/** The job queue that delivers webhooks (webhooks.jobs.ts). */
export const WEBHOOK_QUEUE_NAME = 'webhooks';

function toDelivery(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    eventId: eventIdOf(row.event_id),
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastResponseStatus: row.last_response_status,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Deliveries of an endpoint (or one of them), newest first, with the total. The next attempt's
 * time is the start of the delivery's pg-boss job while that job waits (new, or before a retry).
 */
function selectDeliveries(db: DbClient, where: Prisma.Sql, window: { skip: number; take: number }): Promise<DeliveryRow[]> {
  return db.$queryRaw<DeliveryRow[]>`
    SELECT d.id, d.event_id, e.type AS event_type, d.status::text AS status, d.attempts::int AS attempts,
           d.last_response_status::int AS last_response_status,
           CASE WHEN d.status = 'pending' THEN j.start_after END AS next_attempt_at,
           d.created_at, count(*) OVER () AS total
      FROM webhook_deliveries d
      JOIN webhook_events e ON e.id = d.event_id
      LEFT JOIN pgboss.job j ON j.name = ${WEBHOOK_QUEUE_NAME} AND j.id = d.job_id AND j.state::text IN ('created', 'retry')
     WHERE ${where}
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT ${window.take} OFFSET ${window.skip}`;
}

export async function deliveryPage(db: DbClient, endpointId: string, window: { skip: number; take: number }): Promise<{ count: number; results: DeliveryView[] }> {
  const rows = await selectDeliveries(db, Prisma.sql`d.endpoint_id = ${endpointId}::uuid`, window);
  // Past the last page the window function has no row to count on.
  const count = rows[0] ? Number(rows[0].total) : await db.webhookDelivery.count({ where: { endpointId } });
  return { count, results: rows.map(toDelivery) };
}

export async function findDelivery(db: DbClient, endpointId: string, id: string): Promise<DeliveryView | null> {
  const [row] = await selectDeliveries(db, Prisma.sql`d.endpoint_id = ${endpointId}::uuid AND d.id = ${id}::uuid`, { skip: 0, take: 1 });
  return row ? toDelivery(row) : null;
}

/**
 * Deletes finished deliveries created before `before`, then the events no delivery refers to any
 * more (the events carry patients' data; pending deliveries keep theirs). Answers the deliveries deleted.
 */
export async function purgeDeliveryLog(db: DbClient, before: Date): Promise<number> {
  const deleted = await db.$executeRaw`DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ${before}`;
  await db.$executeRaw`
    DELETE FROM webhook_events e
     WHERE e.created_at < ${before} AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`;
  return deleted;
}
