// Generic HTTP helpers for every module's tests: requests by API path (no hard-coded prefix),
// problem+json assertions, request ids and client IPs, and the audit rows of one request.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { API_PREFIX } from '../../src/app.ts';
import type { Db } from '../../src/lib/db.ts';

/** The API's prefix, for tests that spell out whole URLs (`${API}/doctor/list/`). */
export const API = API_PREFIX;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  headers?: Record<string, string>;
  /** An access token sent as `Authorization: Bearer`. */
  token?: string;
  /** The client IP the app sees (`request.ip`). */
  ip?: string;
  /** Leave the trailing slash off the path. */
  noSlash?: boolean;
}

/** `/v1/api/<path>/`, keeping a query string; `path` is relative to the API, e.g. `user/login`. */
export function apiUrl(path: string, noSlash = false): string {
  const [pathname, query] = path.split('?') as [string, string | undefined];
  const clean = pathname.replace(/^\/+|\/+$/g, '');
  return `${API_PREFIX}/${clean}${noSlash ? '' : '/'}${query === undefined ? '' : `?${query}`}`;
}

export function request(app: FastifyInstance, method: Method, path: string, payload: unknown, options: RequestOptions = {}) {
  const headers = { ...options.headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  return app.inject({
    method,
    url: apiUrl(path, options.noSlash),
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    headers,
    ...(options.ip ? { remoteAddress: options.ip } : {}),
  });
}

/** Requests against one app: `const http = client(t.app); await http.post('user/login', body)`. */
export function client(app: FastifyInstance) {
  return {
    get: (path: string, options?: RequestOptions) => request(app, 'GET', path, undefined, options),
    delete: (path: string, options?: RequestOptions) => request(app, 'DELETE', path, undefined, options),
    post: (path: string, payload: unknown, options?: RequestOptions) => request(app, 'POST', path, payload, options),
    put: (path: string, payload: unknown, options?: RequestOptions) => request(app, 'PUT', path, payload, options),
    patch: (path: string, payload: unknown, options?: RequestOptions) => request(app, 'PATCH', path, payload, options),
  };
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an application/problem+json answer with this status and code, and returns its body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string): ProblemBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<ProblemBody>();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

/** Asserts a 400 validation_failed answer naming `path` among its field errors. */
export function expectFieldError(response: LightMyRequestResponse, path: string): ProblemBody {
  const body = expectProblem(response, 400, 'validation_failed');
  expect(body.errors?.map((error) => error.path)).toContain(path);
  return body;
}

/** A unique, valid request id, to find the audit rows of one request. */
export const requestId = () => `req-${randomUUID()}`;

/** A random private IPv4 address, so rate-limit counters of different tests never meet. */
export function randomIp(): string {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  return `10.${byte()}.${byte()}.${byte()}`;
}

/** The audit rows written while handling the request with this `x-request-id`. */
export function auditRowsOf(db: Db, requestId: string) {
  return db.auditEvent.findMany({ where: { requestId }, orderBy: { createdAt: 'asc' } });
}
