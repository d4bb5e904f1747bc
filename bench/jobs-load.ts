// The load of `npm run bench:jobs`, in a process of its own: enqueues mail jobs with the app's own
// code (createJobs + enqueueMail inside a Prisma transaction, as a request does) and prints one JSON
// line. `BENCH_APP_ROOT` names the checkout whose code is used (another commit, for a before/after).
//   burst N    N mails in one transaction (a backlog, as after an outage): the commit's epoch ms.
//   latency K  K single mails on an otherwise empty queue, 0.3-0.9 s apart (so the workers' polls
//              fall anywhere), each waited for: started_on and completed_on minus the commit, in ms.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const appRoot = process.env.BENCH_APP_ROOT ?? path.resolve(import.meta.dirname, '..');
const databaseUrl = process.env.DATABASE_URL!;
const [mode, countText] = process.argv.slice(2);
const count = Number(countText);

type AppModules = [typeof import('../src/lib/db.ts'), typeof import('../src/lib/jobs.ts'), typeof import('../src/lib/mail-queue.ts')];
const [{ createDb }, { createJobs }, { MAIL_QUEUE, enqueueMail }] = (await Promise.all([
  import(path.join(appRoot, 'src/lib/db.ts')),
  import(path.join(appRoot, 'src/lib/jobs.ts')),
  import(path.join(appRoot, 'src/lib/mail-queue.ts')),
])) as AppModules;

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const db = createDb({ url: databaseUrl, poolSize: 2 });
const jobs = createJobs({ databaseUrl, poolSize: 2, secretKey: process.env.SECRET_KEY!, logger: silent, queues: [MAIL_QUEUE] });
await jobs.start();

// About the size of the app's booking mails: a text part, an HTML part of a few kB.
const paragraph = 'Your appointment with Dr. Bench is confirmed for Monday at 10:30. Please arrive ten minutes early. ';
const mail = (n: number) => ({
  to: `bench-${n}@example.com`,
  subject: `Appointment confirmed (${n})`,
  text: paragraph.repeat(8),
  html: `<p>${paragraph.repeat(8)}</p>`.repeat(2),
});

async function enqueue(messages: ReturnType<typeof mail>[]): Promise<{ ids: string[]; committedAt: number }> {
  const ids = await db.$transaction(
    async (tx) => {
      const created: string[] = [];
      for (const message of messages) created.push(await enqueueMail(jobs, tx, message));
      return created;
    },
    { timeout: 120_000 },
  );
  return { ids, committedAt: Date.now() };
}

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
try {
  if (mode === 'burst') {
    const { committedAt } = await enqueue(Array.from({ length: count }, (_, i) => mail(i)));
    console.log(JSON.stringify({ committedAt }));
  } else if (mode === 'latency') {
    const samples: { pickupMs: number; doneMs: number }[] = [];
    for (let i = 0; i < count; i += 1) {
      await sleep(300 + Math.random() * 600);
      const { ids, committedAt } = await enqueue([mail(i)]);
      for (;;) {
        const { rows } = await client.query<{ started: Date | null; completed: Date | null }>(
          "SELECT started_on AS started, completed_on AS completed FROM pgboss.job WHERE name = 'mail' AND id = $1 AND state = 'completed'",
          [ids[0]],
        );
        const row = rows[0];
        if (row?.started && row.completed) {
          samples.push({ pickupMs: row.started.getTime() - committedAt, doneMs: row.completed.getTime() - committedAt });
          break;
        }
        await sleep(20);
      }
    }
    console.log(JSON.stringify({ samples }));
  } else {
    throw new Error(`unknown mode ${mode}: burst N | latency K`);
  }
} finally {
  await client.end();
  await jobs.stop();
  await db.$disconnect();
}
