// Short-lived plain `pg` connections, for work outside Prisma: creating and dropping databases.
import pg from 'pg';

let endedClientsQuiet = false;

/**
 * Makes errors of a client after its owner called end() harmless. pg still emits 'error' for a
 * server message that arrives after end() (a server shutting down sends "terminating connection"
 * to every session), and pg-boss's LISTEN client removes its listeners before ending it (its
 * heartbeat timed out, or it stops): unheard, that error ends the process. An ended client has
 * nobody left to tell, so each one gets a listener that drops its errors. Once per process.
 */
export function quietEndedClients(): void {
  if (endedClientsQuiet) return;
  endedClientsQuiet = true;
  const prototype = pg.Client.prototype as unknown as { end: (this: pg.Client, ...args: unknown[]) => unknown };
  const end = prototype.end;
  prototype.end = function (this: pg.Client, ...args: unknown[]) {
    if (this.listenerCount('error') === 0) this.on('error', () => {});
    return end.apply(this, args);
  };
}

/** Runs `run` on a fresh connection to `url` and always closes it. */
export async function withPgClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // A server going away reaches `run` as a failed query; the client's own 'error' event, unheard,
  // would crash the process instead.
  client.on('error', () => {});
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** `url` pointing at another database on the same server. */
export function withDatabaseName(url: string, database: string): string {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return target.toString();
}
