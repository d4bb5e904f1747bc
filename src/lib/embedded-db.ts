// Embedded PostgreSQL for development and tests: the PGlite server (PostgreSQL 17) of @prisma/dev, kept on disk.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from './migrations.ts';

export interface EmbeddedDatabase {
  /**
   * Connection URL of the database. Use a pool of ONE connection (`poolSize: 1`) per client.
   * The server runs every connection on a single PGlite session: a transaction on one
   * connection makes all the others wait until it ends, so a pool of several deadlocks as soon
   * as a transaction awaits a query on another connection of the same pool. The URL leads
   * through a proxy (below) that keeps connections from corrupting each other; without it
   * concurrent connections broke each other's queries ("bind message supplies 3 parameters,
   * but prepared statement "" requires 0").
   *
   * That single session also means: the database name in the URL is ignored (every connection
   * lands in the same database, whatever `CREATE DATABASE` made) and session settings (`SET`)
   * are shared by all connections, even later ones.
   */
  url: string;
  /** A separate in-memory server to use as a migration shadow database (it is wiped on use). */
  shadowUrl: string;
  close(): Promise<void>;
}

const SERVER_NAME = 'clinic';

type PrismaDev = typeof import('@prisma/dev/internal/state') & typeof import('@prisma/dev/internal/db');

/**
 * The database servers of `prisma dev` without the rest of `startPrismaDevServer()`: that one
 * also attaches a WAL bridge, query insights, a streams server and an HTTP server, which made
 * every query cost ~30 ms instead of ~7 and printed "[streams]" lines. These `internal`
 * entries are in the package's export map; the version is pinned and
 * tests/lib/embedded-db.int.test.ts covers them.
 *
 * @prisma/dev keeps its data under env-paths' data directory, which it reads once, when the
 * module loads (on Linux `$XDG_DATA_HOME/prisma-dev-nodejs/<name>`); there is no option for a
 * directory. So the first import points XDG_DATA_HOME at ours, for the duration of the import.
 */
async function importPrismaDev(dataDir: string): Promise<PrismaDev> {
  const saved = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = dataDir;
  try {
    const [state, db] = await Promise.all([import('@prisma/dev/internal/state'), import('@prisma/dev/internal/db')]);
    return { ...state, ...db };
  } finally {
    if (saved === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = saved;
  }
}

/** The server binds 127.0.0.1 but announces `localhost`, which may resolve to ::1 first. */
function loopbackUrl(connectionString: string): string {
  const url = new URL(connectionString);
  url.hostname = '127.0.0.1';
  url.search = '?sslmode=disable'; // drop Prisma-only parameters (connection_limit, pool_timeout ...)
  return url.toString();
}

/** A FIFO turn: `take()` resolves with the function that passes the turn on. */
function createTurn(): { take(): Promise<() => void> } {
  let last = Promise.resolve();
  return {
    take() {
      let pass!: () => void;
      const mine = new Promise<void>((resolve) => (pass = resolve));
      const taken = last.then(() => pass);
      last = last.then(() => mine);
      return taken;
    },
  };
}

/** Splits a PostgreSQL protocol stream into messages: a type byte and an int32 length (untyped while starting up). */
function messageSplitter(untyped: () => boolean): (chunk: Buffer) => Buffer[] {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const messages: Buffer[] = [];
    for (;;) {
      const header = untyped() ? 0 : 1;
      if (buffered.length < header + 4) break;
      const size = header + buffered.readInt32BE(header);
      if (buffered.length < size) break;
      messages.push(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
    return messages;
  };
}

// Untyped requests that may open a connection instead of the startup message.
const SSL_REQUEST = 80877103; // answered with one byte, not a message
const GSSENC_REQUEST = 80877104; // likewise
const CANCEL_REQUEST = 80877102; // answered by closing the connection
// Frontend messages the server answers with ReadyForQuery ('Z').
const ANSWERED_BY_READY = new Set(['S', 'Q', 'F'].map((c) => c.charCodeAt(0))); // Sync, Query, FunctionCall
const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const IDLE = 'I'.charCodeAt(0); // ReadyForQuery status outside a transaction block

/**
 * The server interleaves the protocol messages of its connections one by one on its single
 * session, so two connections' extended-protocol queries (Parse, Bind, Execute, Sync) clobber
 * each other's unnamed statement. This proxy gives one connection at a time the turn: from its
 * first message until the server says it is idle again (ReadyForQuery "I") after everything
 * that connection sent, so queries, and whole transactions, never interleave.
 */
async function startSerializingProxy(upstreamPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const turn = createTurn();
  const sockets = new Set<net.Socket>();
  // noDelay: the protocol is many small request/response messages; with Nagle's algorithm
  // each round trip waited for a delayed ACK (46 ms per query instead of 1).
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
    let pass: (() => void) | undefined; // set while this connection has the turn
    let awaiting = 0; // queries sent whose ReadyForQuery has not come back
    let starting = true; // the startup message (and SSL/GSS requests) carry no type byte
    let oneByteReplies = 0; // answers to SSL/GSS requests
    let forwarding = Promise.resolve();
    let closed = false;
    const release = () => {
      pass?.();
      pass = undefined;
    };
    const fromClient = messageSplitter(() => starting);
    const fromServer = messageSplitter(() => false);

    client.on('data', (chunk: Buffer) => {
      let answers = 0; // ReadyForQuery messages this chunk will bring back
      for (const message of fromClient(chunk)) {
        if (starting) {
          const code = message.readInt32BE(4);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            oneByteReplies++;
          } else {
            starting = false; // the startup message, or a CancelRequest (answered by closing)
            if (code !== CANCEL_REQUEST) answers++;
          }
        } else if (ANSWERED_BY_READY.has(message[0]!)) {
          answers++;
        }
      }
      // Forwarded whole, in one write: split writes met Nagle's algorithm on the server side.
      forwarding = forwarding.then(async () => {
        pass ??= await turn.take();
        if (closed) return release(); // the turn came after the connection went away
        awaiting += answers;
        upstream.write(chunk);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      for (; oneByteReplies > 0 && chunk.length > 0; oneByteReplies--) {
        client.write(chunk.subarray(0, 1));
        chunk = chunk.subarray(1);
      }
      if (chunk.length === 0) return;
      client.write(chunk); // whole: the client's replies come before the turn may pass
      for (const message of fromServer(chunk)) {
        if (message[0] === READY_FOR_QUERY && --awaiting <= 0 && message[5] === IDLE) {
          awaiting = 0;
          release();
        }
      }
    });
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
        closed = true;
        release(); // the server rolls back what a vanished connection left open
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Starts the embedded database with its data under `dataDir` (default `.data/` at the repo
 * root), creating it on first use and reusing it afterwards. Ports are picked by the OS, so
 * several servers (other checkouts, test runs) can run at once; one data directory serves one
 * process at a time. Development and tests only, never production.
 */
export async function startEmbeddedDatabase(options: { dataDir?: string } = {}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir ?? path.join(repoRoot, '.data'));
  await mkdir(dataDir, { recursive: true });
  const { ServerState, startDBServer } = await importPrismaDev(dataDir);
  // Takes the directory's lock (a second process gets ServerAlreadyRunningError); port 0: any free port.
  const state = await ServerState.createExclusively({
    name: SERVER_NAME,
    persistenceMode: 'stateful',
    port: 0,
    databasePort: 0,
    shadowDatabasePort: 0,
    streamsPort: 0,
  });
  // Node caches the module: loaded before for another dataDir in this process, it keeps that
  // directory (and env-paths reads XDG_DATA_HOME on Linux only). Refuse rather than put the
  // data elsewhere.
  if (!existsSync(path.join(dataDir, 'prisma-dev-nodejs', SERVER_NAME, 'server.json'))) {
    await state.close();
    throw new Error(
      `embedded database: its data would not be under ${dataDir} (@prisma/dev already loaded for another directory, or not Linux)`,
    );
  }
  const closers: (() => Promise<void>)[] = [() => state.close()]; // state.close() releases the lock
  const close = async () => {
    // Last started, first closed: the proxy, then the servers (the database syncs its files), then the lock.
    for (const closeOne of closers.splice(0).reverse()) await closeOne();
  };
  try {
    const database = await startDBServer('database', state);
    closers.push(() => database.close());
    const shadow = await startDBServer('shadow_database', state); // in memory, started on first connection
    closers.push(() => shadow.close());
    const proxy = await startSerializingProxy(database.port);
    closers.push(() => proxy.close());
    const url = new URL(loopbackUrl(database.connectionString));
    url.port = String(proxy.port);
    // The shadow sees one connection at a time (the migration engine's): no proxy needed.
    return { url: url.toString(), shadowUrl: loopbackUrl(shadow.connectionString), close };
  } catch (error) {
    await close();
    throw error;
  }
}
