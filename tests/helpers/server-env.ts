// The environment of an API or worker process a test spawns (from the sources or the bundle).
import { randomBytes } from 'node:crypto';

/** Test mode on `databaseUrl` with a fresh secret, any free port on loopback and no rate limits; `extra` adds or replaces. */
export function serverEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    SECRET_KEY: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_ENABLED: 'false',
    ...extra,
  };
}
