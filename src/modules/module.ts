// What a module declares about itself, once: app.ts registers the ordered list of descriptors,
// and the OpenAPI tags, log redaction and job queues all come from them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../lib/context.ts';
import type { JobHandler, QueueSpec } from '../lib/jobs.ts';
import type { Logger, Mailer } from '../lib/mailer.ts';

/** What job handlers receive: the application's parts plus a logger and the mailer. */
export interface WorkerDeps extends AppDeps {
  logger: Logger;
  mailer: Mailer;
}

export interface ModuleJob {
  queue: QueueSpec;
  /** Builds the handler in a process that works the queue. */
  handler: (deps: WorkerDeps) => JobHandler<never>;
}

export interface ModuleDescriptor {
  name: string;
  /** Mount point under the API prefix, e.g. `/user`. */
  prefix: string;
  routes: FastifyPluginAsyncZod;
  /** The OpenAPI tag of the module's routes. */
  tag: { name: string; description: string };
  jobs?: ModuleJob[];
  /** Request-body fields that hold secrets, redacted from logs wherever they appear (e.g. `otp`). */
  secretFields?: string[];
}
