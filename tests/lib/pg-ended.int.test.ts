// A client whose owner ended it after dropping its listeners (pg-boss's LISTEN client does, when its
// heartbeat times out) can still receive the server's "terminating connection": that error must not
// end the process (CI once failed with it, uncaught, while a test stopped its PostgreSQL).
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { quietEndedClients, withPgClient } from '../../src/lib/pg.ts';
import { testDatabaseInfo } from '../helpers/database.ts';

describe('a pg client ended without listeners', () => {
  it('drops the server error that arrives after end()', async () => {
    quietEndedClients();
    const url = testDatabaseInfo().adminUrl;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Hold the server's goodbye in the socket until the client is ended, as a busy process would.
    const socket = (client as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection.stream;
    socket.pause();
    await withPgClient(url, async (admin) => {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // The backend sends its FATAL before it exits.
      for (;;) {
        const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        if (rows.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    client.removeAllListeners();
    const ended = client.end();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    // Unquieted, the FATAL is emitted as an 'error' nobody hears: an uncaught exception that fails the run.
    await expect(ended).resolves.toBeUndefined();
    await closed;
    expect(client.listenerCount('error')).toBe(1);
  });
});
