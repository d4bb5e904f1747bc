// Overload protection through @fastify/under-pressure: past the event-loop delay, heap or
// event-loop utilization limit, every route (the liveness probe included, so the orchestrator
// sees it) answers 503 problem+json with Retry-After until the next sample is back under.
import { getHeapStatistics } from 'node:v8';
import fastifyUnderPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { ServiceUnavailableError } from '../lib/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** under-pressure's per-route handler: returning undefined lets the request through anyway. */
    pressureHandler?: (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => Promise<void> | void;
  }
}

/** Seconds a client should wait before trying an overloaded instance again. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 10;
/** How often the limits are sampled. */
const SAMPLE_INTERVAL_MS = 1000;

/** The error every request gets while the instance is overloaded. */
class OverloadedError extends ServiceUnavailableError {
  constructor() {
    super({ detail: 'The server is overloaded; try again shortly.', retryAfterSeconds: OVERLOAD_RETRY_AFTER_SECONDS });
  }
}

/** The heap limit in bytes: the configured one, else 90% of what V8 allows this process. */
export function maxHeapUsedBytes(overload: Config['overload']): number {
  if (overload.maxHeapUsedMb !== undefined) return overload.maxHeapUsedMb * 1024 * 1024;
  return Math.floor(getHeapStatistics().heap_size_limit * 0.9);
}

export default fp(
  async (app, options: { overload: Config['overload'] }) => {
    await app.register(fastifyUnderPressure, {
      maxEventLoopDelay: options.overload.maxEventLoopDelayMs,
      maxHeapUsedBytes: maxHeapUsedBytes(options.overload),
      maxEventLoopUtilization: options.overload.maxEventLoopUtilization,
      sampleInterval: SAMPLE_INTERVAL_MS,
      retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
      customError: OverloadedError,
    });
  },
  { name: 'overload', dependencies: ['errors'] },
);
