// What the accounts services need from the application, passed in rather than imported.
import type { Config } from '../../config.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import type { Jobs } from '../../lib/jobs.ts';
import type { AccessTokenSigner } from '../../lib/tokens.ts';

export interface AccountsDeps {
  config: Config;
  db: Db;
  clock: Clock;
  jobs: Pick<Jobs, 'enqueueMail'>;
  tokens: AccessTokenSigner;
}
