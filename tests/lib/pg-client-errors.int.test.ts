// A connection's error that nobody listens for must not end the process (containClientErrors in
// src/lib/pg.ts): CI failed twice with an uncaught "terminating connection due to administrator
// command" while a test stopped its PostgreSQL under load. Each case holds the server's FATAL in
// the client's socket until the moment a library leaves the client without a listener.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { containClientErrors, withPgClient } from '../../src/lib/pg.ts';
import { testDatabaseInfo } from '../helpers/database.ts';

type Socket = NodeJS.ReadableStream & { once(event: 'close', listener: () => void): Socket };
const socketOf = (client: pg.Client | pg.PoolClient) => (client as unknown as { connection: { stream: Socket } }).connection.stream;

/** Terminates `client`'s backend with its socket paused, and waits until the backend has gone (its FATAL sent). */
async function terminateHeld(client: pg.Client | pg.PoolClient): Promise<Socket> {
  const url = testDatabaseInfo().adminUrl;
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const socket = socketOf(client);
  socket.pause();
  await withPgClient(url, async (admin) => {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    for (;;) {
      const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (rows.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  return socket;
}

describe('pg client errors nobody listens for', () => {
  containClientErrors();
  const url = testDatabaseInfo().adminUrl;

  it('a client ended after its listeners were removed (pg-boss LISTEN client) drops the FATAL that arrives after end()', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const socket = await terminateHeld(client);
    client.removeAllListeners();
    const ended = client.end();
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    socket.resume();
    await expect(ended).resolves.toBeUndefined();
    await closed;
  });

  it('a pooled client handed out before its owner listens (pool.connect() awaited) drops the FATAL, and its next query fails', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', () => {});
    try {
      const client = await pool.connect(); // the pool's own listener is off while it is checked out
      const socket = await terminateHeld(client);
      const closed = new Promise<void>((resolve) => socket.once('close', resolve));
      socket.resume();
      await closed;
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
    } finally {
      await pool.end();
    }
  });
});
