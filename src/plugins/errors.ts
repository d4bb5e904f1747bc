// The one error handler: turns every error into application/problem+json. Known errors keep
// their status and code; anything else is a bare 500, logged with the request id.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { Prisma } from '../generated/prisma/client.ts';
import { AppError, type FieldError } from '../lib/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from '../schemas/problem.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

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
  title = TITLES[status] ?? 'Error',
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

/** Prisma 7 reports some PostgreSQL errors only through the driver adapter's cause (as P2039). */
function postgresProblem(error: Prisma.PrismaClientKnownRequestError) {
  const meta = error.meta as { driverAdapterError?: { cause?: { code?: unknown } } } | undefined;
  switch (meta?.driverAdapterError?.cause?.code) {
    case '23P01': // exclusion_violation: e.g. overlapping appointments
      return { status: 409, code: 'conflict', detail: 'The request conflicts with an existing resource.' };
    case '23514': // check_violation
      return { status: 400, code: 'validation_failed', detail: 'The request breaks a data rule.' };
    default:
      return undefined;
  }
}

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
