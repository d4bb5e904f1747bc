// The CSV export's worker thread: streams one statement's rows from a database cursor through the
// CSV writer and hands the text to the parent in chunks, one at a time, each after the parent took
// the previous one (so nothing piles up on either side). It runs in a thread of its own so that its
// heap can be capped: producing a million CSV lines allocates fast enough that V8 would otherwise
// grow the process's young generation to its maximum (~100 MB of RSS) for the export's duration.
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { csvWriter } from './reports.csv.ts';
import type { ThreadMessage, ThreadTask } from './exports.stream.ts';

// Rows per cursor fetch: enough to keep round trips few, few enough to keep memory flat.
const CURSOR_BATCH_ROWS = 200;
// Text is handed over in pieces of about this size.
const CHUNK_BYTES = 64 * 1024;

const task = workerData as ThreadTask;
const port = parentPort!;
const post = (message: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let taken: (() => void) | undefined;
port.on('message', () => taken?.());

let pending: Buffer[] = [];
let pendingBytes = 0;

/** Hands the text gathered so far to the parent and resolves once the parent took it. */
function handOver(): Promise<void> {
  const chunk = Buffer.concat(pending, pendingBytes);
  pending = [];
  pendingBytes = 0;
  const buffer = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
  return new Promise((resolve) => {
    taken = resolve;
    post({ type: 'chunk', data: buffer }, [buffer]);
  });
}

const client = new pg.Client({ connectionString: task.databaseUrl });
try {
  await client.connect();
  let rows = 0;
  const csv = csvWriter(task.columns);
  csv.on('record', () => rows++);
  const toParent = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < CHUNK_BYTES) return done();
      handOver().then(() => done(), done);
    },
    final(done) {
      (pendingBytes > 0 ? handOver() : Promise.resolve()).then(() => done(), done);
    },
  });
  await pipeline(client.query(new QueryStream(task.text, task.values, { batchSize: CURSOR_BATCH_ROWS, highWaterMark: CURSOR_BATCH_ROWS })), csv, toParent);
  post({ type: 'end', rows });
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
} finally {
  await client.end().catch(() => undefined);
  port.close();
}
