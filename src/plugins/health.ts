// Liveness and readiness probes: live answers while the process runs; ready also checks the
// database and answers 503 problem+json while it is unreachable or lacks a shipped migration.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkDatabase, preparedStatementOf, queryPrepared } from '../lib/db.ts';
import { pendingMigrations, pendingMigrationsMessage } from '../lib/migration-check.ts';
import { sendProblem } from './errors.ts';
import { problemResponse } from './openapi.ts';

const statusSchema = z.object({ status: z.literal('ok') }).meta({ id: 'HealthStatus' });

const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health/live',
    {
      // Probes come from the orchestrator, often many a minute: never rate limited.
      config: { rateLimit: false, auth: 'public', etag: false },
      // Orchestrators probe every few seconds: keep those lines out of the info log.
      logLevel: 'warn',
      schema: {
        operationId: 'healthLive',
        tags: ['operations'],
        summary: 'Liveness: the process is up',
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { rateLimit: false, auth: 'public', etag: false },
      // Orchestrators probe every few seconds: keep those lines out of the info log.
      logLevel: 'warn',
      schema: {
        operationId: 'healthReady',
        tags: ['operations'],
        summary: 'Readiness: the database answers',
        response: { 200: statusSchema, 503: problemResponse(503) },
      },
    },
    async (request, reply) => {
      let pending: string[];
      try {
        await checkDatabase(app.deps.db);
        // Prepared through the pool, as the session check: probes come often, and under load the
        // Prisma client's work on them grew the process by ~100 MB (bench's memory mix).
        pending = await pendingMigrations((sql) => queryPrepared(app.deps.db, preparedStatementOf('pending_migrations', sql), []));
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return sendProblem(reply, 503, 'service_unavailable', 'The database is unreachable.');
      }
      if (pending.length > 0) {
        request.log.warn({}, pendingMigrationsMessage(pending));
        return sendProblem(reply, 503, 'service_unavailable', 'The database is not migrated.');
      }
      return { status: 'ok' as const };
    },
  );
};

export default healthRoutes;
