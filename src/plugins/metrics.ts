// GET /metrics in Prometheus text format: HTTP request durations by method, route template and
// status, requests in flight, the database pool, job queue depth and failures per queue (read
// at scrape time), and the process-wide counters and default metrics of lib/metrics.ts. With
// METRICS_TOKEN set it needs `Authorization: Bearer <token>`, compared in constant time; with
// METRICS_PORT set it is served on that internal port only, not on the public one.
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { poolStatsOf, type Db } from '../lib/db.ts';
import { UnauthorizedError } from '../lib/errors.ts';
import { startMetricsServer } from '../lib/metrics-server.ts';
import { bearerMatches, processRegistry } from '../lib/metrics.ts';

export interface MetricsOptions {
  /** Every job queue's name, so idle queues report zeros. */
  queues: readonly string[];
}

/** A scrape never waits on a slow database for longer than this; the queue series are then left out. */
const QUEUE_QUERY_TIMEOUT_MS = 1000;
const JOB_STATES = ['created', 'retry', 'active', 'failed'] as const;
/** Seconds: fast API answers up to slow uploads and timeouts. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const startedAt = Symbol('metricsStartedAt');
declare module 'fastify' {
  interface FastifyRequest {
    [startedAt]?: bigint;
  }
  interface FastifyInstance {
    /** The metrics text of this app and the process, after reading the job queues. */
    renderMetrics(log: FastifyBaseLogger): Promise<{ contentType: string; text: string }>;
  }
}

async function jobCounts(db: Db): Promise<{ name: string; state: string; count: number }[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('job count query timed out')), QUEUE_QUERY_TIMEOUT_MS);
  });
  try {
    // Only live states, which pg-boss indexes (name, state, ...): finished jobs are not read.
    return await Promise.race([
      db.$queryRaw<{ name: string; state: string; count: number }[]>`
        SELECT name, state::text AS state, count(*)::int AS count
          FROM pgboss.job
         WHERE state IN ('created', 'retry', 'active', 'failed')
         GROUP BY name, state`,
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export default fp(
  async (app, options: MetricsOptions) => {
    const registry = new Registry();
    const { db } = app.deps;

    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    const inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being handled.',
      registers: [registry],
    });
    new Gauge({
      name: 'clinic_db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting requests for one, max).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStatsOf(db);
        if (!stats) return;
        for (const state of ['max', 'total', 'idle', 'waiting'] as const) this.set({ state }, stats[state]);
      },
    });
    const jobs = new Gauge({
      name: 'clinic_jobs',
      help: 'Jobs per queue in a live state: created (waiting or deferred), retry, active, failed.',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    });
    const queueDepth = new Gauge({
      name: 'clinic_job_queue_depth',
      help: 'Jobs waiting per queue (created or retry), deferred ones included.',
      labelNames: ['queue'] as const,
      registers: [registry],
    });
    const failedJobs = new Gauge({
      name: 'clinic_jobs_failed',
      help: 'Jobs per queue that failed for good and are still retained.',
      labelNames: ['queue'] as const,
      registers: [registry],
    });
    const queueScrapeUp = new Gauge({
      name: 'clinic_job_metrics_up',
      help: '1 when the last scrape could read the job queues, 0 otherwise.',
      registers: [registry],
    });

    async function collectJobs(log: FastifyBaseLogger) {
      try {
        const rows = await jobCounts(db);
        jobs.reset();
        queueDepth.reset();
        failedJobs.reset();
        const count = (queue: string, state: string) => rows.find((row) => row.name === queue && row.state === state)?.count ?? 0;
        const queues = [...new Set([...options.queues, ...rows.map((row) => row.name)])];
        for (const queue of queues) {
          for (const state of JOB_STATES) jobs.set({ queue, state }, count(queue, state));
          queueDepth.set({ queue }, count(queue, 'created') + count(queue, 'retry'));
          failedJobs.set({ queue }, count(queue, 'failed'));
        }
        queueScrapeUp.set(1);
      } catch (error) {
        log.warn({ err: error }, 'metrics: job queues unreadable');
        jobs.reset();
        queueDepth.reset();
        failedJobs.reset();
        queueScrapeUp.set(0);
      }
    }

    app.addHook('onRequest', async (request) => {
      request[startedAt] = process.hrtime.bigint();
      inFlight.inc();
    });
    const done = (request: FastifyRequest, statusCode: number) => {
      const started = request[startedAt];
      if (started === undefined) return;
      request[startedAt] = undefined;
      inFlight.dec();
      duration.observe(
        // The route template (`/v1/api/doctor/:id`), never the raw URL with its ids.
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    app.addHook('onResponse', async (request, reply) => done(request, reply.statusCode));
    // A client that went away before the answer: no onResponse, but no longer in flight.
    app.addHook('onRequestAbort', async (request) => done(request, 499));

    app.decorate('renderMetrics', async (log: FastifyBaseLogger) => {
      await collectJobs(log);
      const merged = Registry.merge([processRegistry, registry]);
      return { contentType: merged.contentType, text: await merged.metrics() };
    });
  },
  { name: 'metrics', dependencies: ['errors'] },
);

/**
 * GET /metrics: registered after the OpenAPI and auth plugins so both see it, like the health
 * routes; or, with `port`, served by a server of its own on that port and absent from the public one.
 */
export const metricsRoutes: FastifyPluginAsyncZod<{
  /** When set, scrapes need `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** METRICS_PORT: the internal port (0: any free one), on `host`. */
  port: number | undefined;
  host: string;
}> = async (app, options) => {
  if (options.port !== undefined) {
    const server = await startMetricsServer({
      host: options.host,
      port: options.port,
      token: options.token,
      logger: app.log,
      render: () => app.renderMetrics(app.log),
    });
    app.addHook('onClose', async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    app.log.info({ metricsPort: (server.address() as AddressInfo).port }, 'metrics served on GET /metrics of the internal port only');
    return;
  }
  app.get(
    '/metrics',
    {
      // Scrapes keep working while the instance is overloaded: that is when they matter most.
      config: { auth: 'public', rateLimit: false, problems: [401], pressureHandler: () => undefined },
      // Scraped every few seconds: keep those lines out of the info log.
      logLevel: 'warn',
      schema: {
        operationId: 'metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Prometheus text format. Needs `Authorization: Bearer <METRICS_TOKEN>` when the server sets one.',
        response: {
          200: { description: 'The metrics, in Prometheus text format.', content: { 'text/plain': { schema: z.string() } } },
        },
      },
    },
    async (request, reply) => {
      if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token)) {
        throw new UnauthorizedError({ detail: 'Metrics need `Authorization: Bearer <METRICS_TOKEN>`.' });
      }
      const { contentType, text } = await app.renderMetrics(request.log);
      return reply.type(contentType).send(text);
    },
  );
};
