// Idempotency-Key for POST routes that create things (bookings): routes opt in with
// `...idempotent({ status })`. The key travels in the request's ctx; the service's transaction
// stores the answer with the change (lib/idempotency.ts), so a retry with the same key and body
// gets the first answer back instead of doing the work twice. A committed answer is replayed
// here before the handler runs, and again if the handler failed because its twin succeeded.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { findAnswer, type IdempotencyClaim } from '../lib/idempotency.ts';
import { safeString } from '../lib/strings.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotent-replayed';

/** The header as a route declares it (OpenAPI documents it; a malformed key answers 400). */
export const idempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: safeString({ min: 1, max: 255 })
    .optional()
    .describe(
      'Optional. A retry with the same key and body answers the first status and body; the same key with another body answers 422 ' +
        '`idempotency_key_reused`; a request sent while the first is still running waits for it and then answers like a retry. ' +
        'The answer is stored with the change it describes, so it survives a crash. Keys are kept 24 h per caller and route.',
    ),
});

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's Idempotency-Key, when it sent one on a route that honours it. */
    idempotency?: IdempotencyClaim;
  }
}

/** Scope: method and concrete path (trailing slash and query left out), so `{id}` routes never share answers. */
function routeOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0]!.replace(/\/+$/, '');
  return `${request.method} ${path}`.slice(0, 200);
}

// The body after validation: zod gives it a stable key order and trims what it trims, so the
// same logical request hashes the same.
const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');

function replay(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header(REPLAYED_HEADER, 'true').send(body);
}

/** Route options that make an authenticated POST route honour Idempotency-Key; `status` is its success status. */
export function idempotent(options: { status: number }): { preHandler: preHandlerAsyncHookHandler; onSend: onSendAsyncHookHandler } {
  const preHandler: preHandlerAsyncHookHandler = async (request, reply) => {
    const key = (request.headers as Record<string, unknown>)[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string' || !request.actor) return;
    const claim: IdempotencyClaim = {
      userId: request.actor.userId,
      route: routeOf(request),
      key: key.trim(),
      requestHash: hashOf(request.body),
      status: options.status,
    };
    const stored = await findAnswer(request.ctx.db, claim, request.ctx.clock.now());
    if (stored) return replay(reply, stored.status, stored.body);
    request.idempotency = claim;
  };

  const onSend: onSendAsyncHookHandler = async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    if (claim.replayed) reply.header(REPLAYED_HEADER, 'true');
    // A failure may come from a twin request with the same key that succeeded meanwhile (the slot
    // it booked is taken now): answer like a retry would.
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      const stored = await findAnswer(request.ctx.db, claim, request.ctx.clock.now()).catch(() => undefined);
      if (stored) {
        reply.code(stored.status).header(REPLAYED_HEADER, 'true').type('application/json; charset=utf-8');
        return JSON.stringify(stored.body);
      }
    }
    return payload;
  };
  return { preHandler, onSend };
}
