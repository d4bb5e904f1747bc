// Short-lived plain `pg` connections, for work outside Prisma: creating and dropping databases.
import pg from 'pg';

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
