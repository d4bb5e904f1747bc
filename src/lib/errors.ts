// The AppError family: every error a client may see carries its HTTP status and a stable
// `code`. Only plugins/errors.ts turns them into application/problem+json. Constructors take one
// named-options object, so a code can never be passed where a detail was meant.
import { STATUS_CODES } from 'node:http';

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorOptions {
  /** Stable machine string; each class has a default. */
  code?: string;
  /** Human-readable explanation for this occurrence. */
  detail?: string;
  errors?: FieldError[];
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, options: ErrorOptions & { code: string }) {
    const title = STATUS_CODES[status] ?? 'Error';
    super(options.detail ?? title);
    this.status = status;
    this.code = options.code;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

export class BadRequestError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(400, { code: 'bad_request', detail: 'The request could not be processed.', ...options });
  }
}

/** 400 `validation_failed`, naming the fields in `errors`. */
export class ValidationError extends BadRequestError {
  constructor(options: ErrorOptions = {}) {
    super({ detail: 'The request is not valid.', ...options, code: 'validation_failed' });
  }
}

export class UnauthorizedError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(401, { code: 'unauthorized', detail: 'Authentication is required.', ...options });
  }
}

export class ForbiddenError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(403, { code: 'forbidden', detail: 'You are not allowed to do this.', ...options });
  }
}

export class NotFoundError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(404, { code: 'not_found', detail: 'The resource does not exist.', ...options });
  }
}

export class ConflictError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(409, { code: 'conflict', detail: 'The request conflicts with the current state.', ...options });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(413, { code: 'payload_too_large', detail: 'The request body is too large.', ...options });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(options: ErrorOptions = {}) {
    super(415, { code: 'unsupported_media_type', detail: 'The content type is not supported.', ...options });
  }
}

/** 422: a valid request that breaks a business rule; the code says which. */
export class UnprocessableError extends AppError {
  constructor(options: ErrorOptions & { code: string }) {
    super(422, { detail: 'The request breaks a business rule.', ...options });
  }
}

export class TooManyRequestsError extends AppError {
  constructor(options: ErrorOptions & { retryAfterSeconds: number }) {
    const { retryAfterSeconds, ...rest } = options;
    super(429, {
      code: 'rate_limited',
      detail: 'Too many requests; try again later.',
      ...rest,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** 503: a dependency (database, storage) is unreachable; the client may retry. */
export class ServiceUnavailableError extends AppError {
  constructor(options: ErrorOptions & { retryAfterSeconds?: number } = {}) {
    const { retryAfterSeconds = 5, ...rest } = options;
    super(503, {
      code: 'service_unavailable',
      detail: 'A service this request needs is unavailable; try again shortly.',
      ...rest,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}
