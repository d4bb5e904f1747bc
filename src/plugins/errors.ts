// The one error handler: turns every error into application/problem+json. Known errors keep
// their status and code; anything else is a bare 500, logged with the request id. Answers given
// before routing (a malformed URL, a request that is not HTTP) are problem+json too, and every
// problem carries the security headers, even when no hook ran before it.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.ts';
import { isDatabaseUnavailable } from '../lib/db-errors.ts';
import { AppError, type FieldError } from '../lib/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from '../schemas/problem.ts';
import { SECURITY_HEADERS } from './security.ts';

/** How the routes under a URL prefix write their errors when not as problem+json (FHIR's OperationOutcome). */
export interface ProblemFormat {
  prefix: string;
  contentType: string;
  render(problem: Problem): string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Formats that route scopes register for their prefix: the answers given before routing
     * (frameworkErrorHandler) run no scope's hooks, so they look their format up here.
     */
    problemFormats: ProblemFormat[];
  }
}

// Every schema, globally: a missing field reads "Required" (its path names it) rather than zod's
// "Invalid input: expected string, received undefined". Messages a schema sets itself still win.
z.config({ customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined) });

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
  // @fastify/multipart's own errors.
  FST_PARTS_LIMIT: { status: 413, code: 'payload_too_large', detail: 'The form has too many parts.' },
  FST_FILES_LIMIT: { status: 413, code: 'payload_too_large', detail: 'The form has too many files.' },
  FST_FIELDS_LIMIT: { status: 413, code: 'payload_too_large', detail: 'The form has too many fields.' },
  FST_PROTO_VIOLATION: { status: 400, code: 'validation_failed', detail: 'A form field has a reserved name.' },
  FST_INVALID_JSON_FIELD_ERROR: { status: 400, code: 'validation_failed', detail: 'A form field declared as JSON is not valid JSON.' },
  FST_MP_PREMATURE_CLOSE: { status: 400, code: 'validation_failed', detail: 'The multipart body ended early.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'The request is not multipart/form-data.' },
};

/**
 * busboy's errors for a body that is not the multipart/form-data it claims to be (no boundary, a
 * boundary the body never uses or over 250 characters, a body cut short). They carry no code, so
 * they are known by their messages, as @fastify/multipart itself tells them apart.
 */
const MALFORMED_MULTIPART = /^(Multipart: Boundary not found|Unexpected end of multipart data|The needle cannot have a length bigger than \d+\.|(Part|Preamble) terminated early due to unexpected end of multipart data)$/;

function problemOf(status: number, code: string, detail: string, errors?: FieldError[], title = STATUS_CODES[status] ?? 'Error'): Problem {
  return { type: problemType(code), title, status, detail, code, ...(errors ? { errors } : {}) };
}

const PROBLEM_JSON: Omit<ProblemFormat, 'prefix'> = { contentType: PROBLEM_CONTENT_TYPE, render: JSON.stringify };

function sendFormatted(reply: FastifyReply, problem: Problem, format: Omit<ProblemFormat, 'prefix'>): FastifyReply {
  // The headers hook may not have run (an error in an earlier onRequest hook, a framework error).
  reply.headers(SECURITY_HEADERS);
  // Sent pre-serialized so a route's response schemas never reshape or reject an error body.
  return reply.code(problem.status).type(format.contentType).send(format.render(problem));
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  title?: string,
): FastifyReply {
  return sendFormatted(reply, problemOf(status, code, detail, errors, title), PROBLEM_JSON);
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
  if (MALFORMED_MULTIPART.test(error.message)) {
    return sendProblem(reply, 400, 'validation_failed', 'The body is not valid multipart/form-data.');
  }
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

const ROUTING_PROBLEMS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'validation_failed', detail: 'The URL is not valid (a malformed percent-encoding).' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 404, code: 'not_found', detail: 'The requested resource does not exist.' },
};

/**
 * Fastify's `frameworkErrors`: errors found while routing, before any hook. A malformed
 * percent-encoding in the path is the caller's; a path segment longer than the router takes
 * (100 characters) cannot name anything here. Under a prefix with a format of its own, the
 * answer takes that format, as the prefix's routes would have written it.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTING_PROBLEMS[error.code];
  if (!known) {
    handleError(error, request, reply);
    return;
  }
  const format = request.server.problemFormats.find(({ prefix }) => request.url.startsWith(`${prefix}/`)) ?? PROBLEM_JSON;
  sendFormatted(reply, problemOf(known.status, known.code, known.detail), format);
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request did not arrive in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'The request headers are too large.' },
};

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (not HTTP, a bad
 * Content-Length, headers over the limit, too slow). Written to the socket as Fastify's default
 * does, but as problem+json with the security headers.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP.' };
  this.log.debug({ err: error }, 'client error');
  if (socket.writable) {
    const title = STATUS_CODES[status] ?? 'Error';
    const body = JSON.stringify({ type: problemType(code), title, status, detail, code } satisfies Problem);
    const headers = { ...SECURITY_HEADERS, 'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`HTTP/1.1 ${status} ${title}\r\n${head}\r\n${body}`);
  }
  socket.destroy(error);
}

export default fp(
  async (app) => {
    app.decorate('problemFormats', []);
    app.setErrorHandler(handleError);
    app.setNotFoundHandler((_request, reply) =>
      sendProblem(reply, 404, 'not_found', 'The requested resource does not exist.'),
    );
  },
  { name: 'errors' },
);
