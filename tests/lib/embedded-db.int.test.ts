// The embedded database keeps its data on disk across restarts, and serves concurrent connections correctly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../src/lib/embedded-db.ts';
import { withPgClient } from '../../src/lib/pg.ts';

const dataDir = await mkdtemp(path.join(tmpdir(), 'clinic-embedded-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));


it('keeps data across a restart in the same directory, and serves concurrent connections', async () => {
  const first = await startEmbeddedDatabase({ dataDir });
  try {
    await withPgClient(first.url, async (c) => {
      await c.query('CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)');
      await c.query(`INSERT INTO probe VALUES (1, 'still here')`);
    });
  } finally {
    await first.close();
  }

  const second = await startEmbeddedDatabase({ dataDir });
  try {
    const rows = await withPgClient(second.url, (c) => c.query('SELECT note FROM probe'));
    expect(rows.rows).toEqual([{ note: 'still here' }]);

    // Concurrent connections with parameterised queries (Parse/Bind/Execute/Sync), one of them
    // inside transactions: interleaved on the server's one session, these used to bind each
    // other's statements ("bind message supplies 2 parameters, but prepared statement ...").
    const clients = await Promise.all([1, 2, 3, 4].map(async () => {
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      return client;
    }));
    try {
      const answers = await Promise.all(
        clients.map(async (client, k) => {
          const wrong: number[] = [];
          for (let i = 0; i < 25; i++) {
            if (k === 0) await client.query('BEGIN');
            const params = Array.from({ length: k + 1 }, (_, j) => i + j);
            const sql = `SELECT ${params.map((_, j) => `$${j + 1}::int`).join(' + ')} AS sum`;
            const { rows } = await client.query<{ sum: number }>(sql, params);
            if (rows[0]?.sum !== params.reduce((a, b) => a + b)) wrong.push(i);
            if (k === 0) await client.query('COMMIT');
          }
          return wrong;
        }),
      );
      expect(answers).toEqual([[], [], [], []]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  } finally {
    await second.close();
  }
}, 60_000);
