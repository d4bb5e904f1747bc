// What every service receives: `ctx` (the database, clock, jobs, configuration and where the
// request came from) and, on authenticated routes, the `actor` who is calling.
import type { Config } from '../config.ts';
import type { Role } from '../generated/prisma/enums.ts';
import type { Clock } from './clock.ts';
import type { Db } from './db.ts';
import type { Jobs } from './jobs.ts';

/** Who is calling: what services receive to decide what the caller may do. */
export interface Actor {
  userId: string;
  role: Role;
  /** The session (refresh-token family) of the access token. */
  sessionId: string;
}

/** Where a request came from, for the audit trail. */
export interface RequestMeta {
  ip: string;
  requestId: string;
}

/** The application's long-lived parts, shared by every request and by the workers. */
export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'enqueue'>;
}

/** A service's first argument: the application's parts plus the request's origin. */
export interface ServiceContext extends AppDeps {
  meta: RequestMeta;
}
