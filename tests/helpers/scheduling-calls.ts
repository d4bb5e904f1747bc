// Requests of the scheduling integration tests.
import type { FastifyInstance } from 'fastify';
import { API } from './factories.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function call(
  app: FastifyInstance,
  method: Method,
  path: string,
  options: { headers?: Record<string, string>; payload?: unknown } = {},
) {
  return app.inject({
    method,
    url: `${API}/${path}`,
    headers: options.headers,
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  });
}
