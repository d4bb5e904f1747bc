// Idempotency-Key for POST routes that create things (bookings): the first answer is stored for
// 24 h per caller, route and key, and a retry with the same key and body gets it back instead
// of doing the work twice. Routes opt in with `...idempotent()` in their options.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.ts';
import type { DbClient } from '../lib/db.ts';
import { ConflictError, UnprocessableError } from '../lib/errors.ts';
import { uuidv7 } from '../lib/ids.ts';
import { safeString } from '../lib/strings.ts';

/** How long a key and its answer are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/**
 * A key still without an answer after this long belongs to a request that died (a crash between
 * claiming the key and answering): it is free again rather than answering 409 for 24 h.
 */
export const ABANDONED_AFTER_MS = 5 * 60 * 1000;

/** The header as a route declares it (OpenAPI documents it; a malformed key answers 400). */
export const idempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: safeString({ min: 1, max: 255 })
    .optional()
    .describe(
      'Optional. A retry with the same key and body answers the first status and body; the same key with another body answers 422 ' +
        '`idempotency_key_reused`; while the first request is still running, 409 `conflict`. Keys are kept 24 h per caller and route.',
    ),
});

declare module 'fastify' {
  interface FastifyRequest {
    /** The idempotency row this request owns, set while it runs. */
    idempotencyKeyId?: string;
  }
}

interface KeyRow {
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

/** Scope: method and concrete path (trailing slash and query left out), so `{id}` routes never share answers. */
function routeOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0]!.replace(/\/+$/, '');
  return `${request.method} ${path}`.slice(0, 200);
}

// The body after validation: zod gives it a stable key order and trims what it trims, so the
// same logical request hashes the same.
const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');

type Claim = { claimed: true; id: string } | { claimed: false; row: KeyRow | undefined };

async function claim(db: DbClient, userId: string, route: string, key: string, hash: string, now: Date): Promise<Claim> {
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
  // An expired or abandoned key is free again: the insert takes its place in the same statement.
  const abandonedBefore = new Date(now.getTime() - ABANDONED_AFTER_MS);
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO idempotency_keys (id, user_id, route, key, request_hash, created_at, expires_at)
    VALUES (${uuidv7(now.getTime())}::uuid, ${userId}::uuid, ${route}, ${key}, ${hash}, ${now}, ${expiresAt})
    ON CONFLICT (user_id, route, key) DO UPDATE
      SET id = EXCLUDED.id, request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE idempotency_keys.expires_at <= ${now}
         OR (idempotency_keys.response_status IS NULL AND idempotency_keys.created_at <= ${abandonedBefore})
    RETURNING id::text AS id`;
  if (inserted[0]) return { claimed: true, id: inserted[0].id };
  const rows = await db.$queryRaw<KeyRow[]>`
    SELECT request_hash AS "requestHash", response_status::int AS "responseStatus",
           response_body AS "responseBody"
      FROM idempotency_keys WHERE user_id = ${userId}::uuid AND route = ${route} AND key = ${key}`;
  return { claimed: false, row: rows[0] };
}

/** Route options that make a POST route honour Idempotency-Key (the route must be authenticated). */
export function idempotent(): { preHandler: preHandlerAsyncHookHandler; onSend: onSendAsyncHookHandler } {
  const preHandler: preHandlerAsyncHookHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = (request.headers as Record<string, unknown>)[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string' || !request.actor) return;
    const { db, clock } = request.ctx;
    const now = clock.now();
    const hash = hashOf(request.body);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await claim(db, request.actor.userId, routeOf(request), key.trim(), hash, now);
      if (result.claimed) {
        request.idempotencyKeyId = result.id;
        return;
      }
      const row = result.row;
      if (!row) continue; // deleted between the two statements: claim again
      if (row.requestHash !== hash) {
        throw new UnprocessableError({
          code: 'idempotency_key_reused',
          detail: 'This Idempotency-Key was used with a different request body.',
        });
      }
      if (row.responseStatus === null) break;
      reply.header('idempotent-replayed', 'true');
      return reply.code(row.responseStatus).send(row.responseBody);
    }
    throw new ConflictError({ detail: 'A request with this Idempotency-Key is still being processed.' });
  };

  const onSend: onSendAsyncHookHandler = async (request, reply, payload) => {
    const id = request.idempotencyKeyId;
    if (id === undefined) return payload;
    request.idempotencyKeyId = undefined;
    const { db } = request.ctx;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      const body = payload === '' ? Prisma.JsonNull : (JSON.parse(payload) as Prisma.InputJsonValue);
      await db.idempotencyKey.updateMany({ where: { id }, data: { responseStatus: reply.statusCode, responseBody: body } });
    } else {
      // A failed request stored nothing: the client may retry with the same key.
      await db.idempotencyKey.deleteMany({ where: { id } });
    }
    return payload;
  };
  return { preHandler, onSend };
}

/** Deletes expired keys; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: DbClient, now: Date): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
