// What a module declares about itself, once: app.ts registers the ordered list of descriptors,
// and the routes, OpenAPI tags, log redaction, job queues and event subscriptions all come
// from them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServiceContext, TxContext } from '../lib/context.ts';
import type { Subscription } from '../lib/events.ts';
import type { QueueSpec } from '../lib/jobs.ts';

/** A route plugin and where it is mounted under the API prefix, e.g. `/user`. */
export interface ModuleRoutes {
  prefix: string;
  plugin: FastifyPluginAsyncZod;
  /** Mounted at `prefix` itself, outside the API prefix (another protocol's base, e.g. `/fhir/R4`). */
  outsideApi?: boolean;
}

export interface ModuleJob {
  queue: QueueSpec;
  /** Runs one job with the application's parts (meta: the system's, unless the payload says otherwise). */
  handle: (ctx: ServiceContext, payload: never, job: { id: string }) => Promise<void>;
}

export interface ModuleDescriptor {
  name: string;
  /** Every route of the module's domain, wherever it is mounted. */
  routes: ModuleRoutes[];
  /** The OpenAPI tags of the module's routes. */
  tags: { name: string; description: string }[];
  jobs?: ModuleJob[];
  /** Reactions to other modules' events, run in the publisher's transaction. */
  subscriptions?: Subscription<TxContext>[];
  /** Request-body fields that hold secrets, redacted from logs wherever they appear (e.g. `otp`). */
  secretFields?: string[];
}
