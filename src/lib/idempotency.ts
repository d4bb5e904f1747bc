// Idempotency-Key answers, written in the transaction of the change they describe: a crash leaves
// both the change and its answer, or neither, so a retry either replays the first answer or does
// the work afresh. Concurrent requests with one key queue on the key's lock and the later ones
// replay the first one's answer. plugins/idempotency.ts reads the header and replays early.
import { Prisma } from '../generated/prisma/client.ts';
import type { DbClient } from './db.ts';
import { UnprocessableError } from './errors.ts';
import { uuidv7 } from './ids.ts';
import { lockKey } from './locks.ts';

/** How long a key and its answer are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** One request's key: who sent it to which route with which body, and the status a success answers. */
export interface IdempotencyClaim {
  userId: string;
  /** Method and concrete path: `POST /v1/api/appointment/patient`. */
  route: string;
  key: string;
  /** SHA-256 of the validated body. */
  requestHash: string;
  /** The route's success status, stored with the answer. */
  status: number;
  /** Set once the answer came from an earlier request with this key. */
  replayed?: boolean;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export const keyReused = () =>
  new UnprocessableError({ code: 'idempotency_key_reused', detail: 'This Idempotency-Key was used with a different request body.' });

/**
 * The committed answer of an earlier request with this key (422 when its body differed), or
 * undefined. Rows without an answer (left by older versions) and expired ones do not count.
 */
export async function findAnswer(db: DbClient, claim: IdempotencyClaim, now: Date): Promise<StoredAnswer | undefined> {
  const rows = await db.$queryRaw<{ requestHash: string; status: number; body: unknown }[]>`
    SELECT request_hash AS "requestHash", response_status::int AS status, response_body AS body
      FROM idempotency_keys
     WHERE user_id = ${claim.userId}::uuid AND route = ${claim.route} AND key = ${claim.key}
       AND expires_at > ${now} AND response_status IS NOT NULL`;
  const row = rows[0];
  if (!row) return undefined;
  if (row.requestHash !== claim.requestHash) throw keyReused();
  return { status: row.status, body: row.body };
}

/**
 * Inside the caller's transaction, before its work: waits until no other transaction works with
 * this key, then answers the answer one of them committed (the caller replays it instead of
 * working), or undefined (the caller works and then calls storeAnswer in the same transaction).
 */
export async function lockAndFindAnswer(tx: DbClient, claim: IdempotencyClaim, now: Date): Promise<StoredAnswer | undefined> {
  await lockKey(tx, 'idempotency', `${claim.userId}:${claim.route}:${claim.key}`);
  return findAnswer(tx, claim, now);
}

/** Records the answer in the caller's transaction, replacing an expired or unanswered row of the key. */
export async function storeAnswer(tx: DbClient, claim: IdempotencyClaim, body: unknown, now: Date): Promise<void> {
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
  const json = body === undefined ? Prisma.sql`NULL` : Prisma.sql`${JSON.stringify(body)}::jsonb`;
  await tx.$executeRaw`
    INSERT INTO idempotency_keys (id, user_id, route, key, request_hash, response_status, response_body, created_at, expires_at)
    VALUES (${uuidv7(now.getTime())}::uuid, ${claim.userId}::uuid, ${claim.route}, ${claim.key}, ${claim.requestHash},
            ${claim.status}, ${json}, ${now}, ${expiresAt})
    ON CONFLICT (user_id, route, key) DO UPDATE
      SET id = EXCLUDED.id, request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
          response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`;
}

/** Deletes expired keys; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: DbClient, now: Date): Promise<number> {
  return db.$executeRaw`DELETE FROM idempotency_keys WHERE expires_at <= ${now}`;
}
