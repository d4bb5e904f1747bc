// The one error handler: turns every error into application/problem+json. Known errors keep
// their status and code; anything else is a bare 500, logged with the request id.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { Prisma } from '../generated/prisma/client.ts';
import { isDatabaseUnavailable } from '../lib/db-errors.ts';
import { AppError, type FieldError } from '../lib/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from '../schemas/problem.ts';

/** Fastify's own client errors (bad JSON, wrong media type, too large) and their codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is too large.' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The uploaded file is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'The request content type is not supported.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'validation_failed',
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'validation_failed', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'validation_failed', detail: 'The body is not valid JSON.' },
};

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  title = STATUS_CODES[status] ?? 'Error',
): FastifyReply {
  const problem: Problem = { type: problemType(code), title, status, detail, code, ...(errors ? { errors } : {}) };
  // Sent pre-serialized so a route's response schemas never reshape or reject an error body.
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext;
  const prefix = context && context !== 'body' ? `${context === 'querystring' ? 'query' : context}.` : '';
  return (error.validation ?? []).flatMap((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const unknownKeys = (issue.params as { keys?: unknown }).keys;
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(unknownKeys)) {
      return unknownKeys.map((key) => ({
        path: prefix + (path ? `${path}.${String(key)}` : String(key)),
        message: 'Unknown or read-only field.',
      }));
    }
    return [{ path: prefix + path, message: issue.message ?? 'Invalid value.' }];
  });
}

function prismaProblem(error: Prisma.PrismaClientKnownRequestError) {
  switch (error.code) {
    case 'P2002':
      return { status: 409, code: 'conflict', detail: 'A resource with these values already exists.' };
    case 'P2025':
      return { status: 404, code: 'not_found', detail: 'The resource does not exist.' };
    case 'P2003':
      return { status: 409, code: 'conflict', detail: 'The resource is referenced by or refers to another one.' };
    default:
      return postgresProblem(error);
  }
}

/** SQLSTATE of a PostgreSQL error: Prisma 7 reports many only through the driver adapter's cause. */
function sqlState(error: Prisma.PrismaClientKnownRequestError): string | undefined {
  const meta = error.meta as { code?: unknown; driverAdapterError?: { cause?: { code?: unknown; originalCode?: unknown } } } | undefined;
  const cause = meta?.driverAdapterError?.cause;
  for (const candidate of [cause?.originalCode, cause?.code, meta?.code]) {
    if (typeof candidate === 'string' && /^[0-9A-Z]{5}$/.test(candidate)) return candidate;
  }
  return undefined;
}

function postgresProblem(error: Prisma.PrismaClientKnownRequestError) {
  const state = sqlState(error);
  if (state === '23P01') return { status: 409, code: 'conflict', detail: 'The request conflicts with an existing resource.' };
  // A raw statement's unique violation (model calls report it as P2002 above).
  if (state === '23505') return { status: 409, code: 'conflict', detail: 'A resource with these values already exists.' };
  if (state === '23514') return { status: 400, code: 'validation_failed', detail: 'The request breaks a data rule.' };
  // Class 22 (data exception: NUL bytes, out-of-range numbers, bad dates, text too long) is the
  // caller's input reaching the database unchecked: a safety net behind the zod schemas.
  if (state?.startsWith('22') || DATA_ERROR_PRISMA_CODES.has(error.code)) {
    return { status: 400, code: 'validation_failed', detail: 'A value is not valid for its field.' };
  }
  return undefined;
}

/** Seconds a client should wait after a 503 caused by a database outage. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Prisma's own codes for values the database cannot take (too long, out of range, malformed). */
const DATA_ERROR_PRISMA_CODES = new Set(['P2000', 'P2005', 'P2006', 'P2007', 'P2019', 'P2020', 'P2023']);

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    if (error.headers) reply.headers(error.headers);
    return sendProblem(reply, error.status, error.code, error.message, error.errors, error.title);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return sendProblem(reply, 400, 'validation_failed', 'The request is not valid.', validationErrors(error));
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const mapped = prismaProblem(error);
    if (mapped) return sendProblem(reply, mapped.status, mapped.code, mapped.detail);
  }
  const known = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (known) return sendProblem(reply, known.status, known.code, known.detail);
  if (error.validation) {
    return sendProblem(reply, 400, 'validation_failed', 'The request is not valid.', validationErrors(error));
  }
  if (error.statusCode === 429) {
    return sendProblem(reply, 429, 'rate_limited', 'Too many requests; try again later.');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    request.log.info({ err: error }, 'client error');
    return sendProblem(reply, error.statusCode, 'bad_request', 'The request could not be processed.');
  }
  if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: the client may retry; the log keeps the cause, the answer names none.
    request.log.warn({ err: error, reqId: request.id }, 'database unavailable');
    reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return sendProblem(reply, 503, 'service_unavailable', 'A service this request needs is unavailable; try again shortly.');
  }
  request.log.error({ err: error, reqId: request.id }, 'unhandled error');
  return sendProblem(reply, 500, 'internal_error', `An unexpected error occurred. Request id: ${request.id}.`);
}

export default fp(
  async (app) => {
    app.setErrorHandler(handleError);
    app.setNotFoundHandler((_request, reply) =>
      sendProblem(reply, 404, 'not_found', 'The requested resource does not exist.'),
    );
  },
  { name: 'errors' },
);
