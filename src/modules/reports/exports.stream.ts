// The CSV text of one export as a Readable, produced by exports.thread.ts in a worker thread with
// a capped heap: the parent pulls one chunk at a time, so memory stays flat on both sides.
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface ThreadTask {
  databaseUrl: string;
  text: string;
  values: unknown[];
  columns: readonly string[];
}

export type ThreadMessage = { type: 'chunk'; data: ArrayBuffer } | { type: 'end'; rows: number } | { type: 'error'; message: string };

// The thread's file beside this one, compiled or not (.js in the build, .ts when run from src/).
const THREAD_URL = new URL(`./exports.thread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

// Small generations make V8 collect often instead of growing the heap while rows stream through.
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/** The CSV text of `task`'s rows; `rows()` tells how many data rows it held once the stream ended. */
export function csvFromThread(task: ThreadTask): { stream: Readable; rows: () => number } {
  let rows = 0;
  let settled = false;
  const thread = new Worker(THREAD_URL, { workerData: task, resourceLimits: THREAD_LIMITS });
  // A chunk is pushed when it arrives; the next one is asked for when the consumer wants more.
  let wantsMore = false;
  let waiting = false;
  const askForMore = () => {
    if (waiting && wantsMore) {
      waiting = false;
      thread.postMessage('more');
    }
  };
  const stream = new Readable({
    read() {
      wantsMore = true;
      askForMore();
    },
    destroy(error, done) {
      if (!settled) void thread.terminate();
      done(error);
    },
  });
  thread.on('message', (message: ThreadMessage) => {
    if (message.type === 'chunk') {
      waiting = true;
      wantsMore = stream.push(Buffer.from(message.data));
      askForMore();
    } else if (message.type === 'end') {
      settled = true;
      rows = message.rows;
      stream.push(null);
    } else {
      settled = true;
      stream.destroy(new Error(`CSV export thread: ${message.message}`));
    }
  });
  thread.on('error', (error: Error) => {
    settled = true;
    stream.destroy(error);
  });
  thread.on('exit', (code) => {
    if (!settled) stream.destroy(new Error(`CSV export thread exited with code ${code} before the end`));
  });
  return { stream, rows: () => rows };
}
