// The AppError family: every error a client may see carries its HTTP status and a stable
// `code`. Only plugins/errors.ts turns them into application/problem+json.

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'validation_failed', 'Validation failed', detail, errors);
  }
}

export class UnauthorizedError extends AppError {
  constructor(code = 'unauthorized', detail = 'Authentication is required.') {
    super(401, code, 'Unauthorized', detail);
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this.', code = 'forbidden') {
    super(403, code, 'Forbidden', detail);
  }
}

export class NotFoundError extends AppError {
  constructor(detail = 'The resource does not exist.') {
    super(404, 'not_found', 'Not Found', detail);
  }
}

export class ConflictError extends AppError {
  constructor(detail = 'The request conflicts with the current state.', code = 'conflict') {
    super(409, code, 'Conflict', detail);
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, detail: string) {
    super(422, code, 'Unprocessable Content', detail);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests; try again later.') {
    super(429, 'rate_limited', 'Too Many Requests', detail, undefined, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}
