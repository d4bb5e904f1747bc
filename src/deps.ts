// The application's long-lived parts (lib/context.ts AppDeps), made once per process: the API
// (app.ts), the stand-alone worker (worker.ts) and the scripts build them the same way.
import type { Config } from './config.ts';
import type { Clock } from './lib/clock.ts';
import type { ReadCache } from './lib/cache.ts';
import type { AppDeps, TxContext } from './lib/context.ts';
import type { Db } from './lib/db.ts';
import { createEvents } from './lib/events.ts';
import type { Jobs } from './lib/jobs.ts';
import { systemLookup, type HostLookup } from './lib/lookup.ts';
import type { Logger } from './lib/mailer.ts';
import { createStorage } from './lib/storage.ts';
import { createAccessTokens } from './lib/tokens.ts';
import { MODULES } from './modules/index.ts';

export function createAppDeps(
  config: Config,
  parts: { db: Db; clock: Clock; jobs: Pick<Jobs, 'enqueue'>; logger: Logger; cache: ReadCache; lookup?: HostLookup | undefined },
): AppDeps {
  return {
    config,
    ...parts,
    lookup: parts.lookup ?? systemLookup,
    storage: createStorage(config),
    tokens: createAccessTokens({ secretKey: config.secretKey, lifetimeSeconds: config.lifetimes.accessSeconds, clock: parts.clock }),
    events: createEvents<TxContext>(MODULES.flatMap((module) => module.subscriptions ?? [])),
  };
}
