// Short-lived plain `pg` connections, for work outside Prisma: creating and dropping databases.
import pg from 'pg';

let clientErrorsContained = false;

/**
 * Keeps a connection's errors from ending the process when no one listens for them. pg emits
 * 'error' on a client for a server message that no query is waiting for (a server shutting down
 * sends "terminating connection" to every session), and a client with no 'error' listener turns
 * that into an uncaught exception. Such windows exist in the libraries we use: pg-pool takes its
 * own listener off a client it hands out, and a promise-based `pool.connect()` caller (Prisma's
 * transactions, pg-boss) attaches its own a microtask later, after the rest of the same network
 * read was parsed; pg-boss's LISTEN client drops its listeners before it ends. So every client
 * keeps a listener from its connect on (and again when it is ended): the dropped connection is
 * then reported where it matters, by the next query on that client. Once per process.
 */
export function containClientErrors(): void {
  if (clientErrorsContained) return;
  clientErrorsContained = true;
  const prototype = pg.Client.prototype as unknown as Record<'connect' | 'end', (this: pg.Client, ...args: unknown[]) => unknown>;
  const ignore = () => {};
  for (const method of ['connect', 'end'] as const) {
    const original = prototype[method];
    prototype[method] = function (this: pg.Client, ...args: unknown[]) {
      if (!this.listeners('error').includes(ignore)) this.on('error', ignore);
      return original.apply(this, args);
    };
  }
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
