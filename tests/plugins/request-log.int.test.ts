// The request log in development (and embedded mode): one info line per request, none for the
// health probes, so the printed mail blocks are not buried.
import { expect, it } from 'vitest';
import { registerAndActivate } from '../helpers/accounts.ts';
import { useTestApp } from '../helpers/app.ts';
import { drainJobs } from '../helpers/wait.ts';

const t = useTestApp({ env: { NODE_ENV: 'development' } });

const INFO = 30;
const infoLines = (from: number) =>
  t.logs.slice(from).map((line) => JSON.parse(line) as { level: number; msg: string; url?: string; req?: { url?: string } }).filter((line) => line.level === INFO);

it('writes one info line per request, with method, path, status and time, and nothing for the health probes', async () => {
  await drainJobs(t);
  const from = t.logs.length;
  await registerAndActivate(t); // register, then activate: two requests
  for (const url of ['/health/live', '/health/ready']) expect((await t.app.inject({ url })).statusCode).toBe(200);
  await drainJobs(t);
  const lines = infoLines(from);
  const requests = lines.filter((line) => /^(GET|POST|PUT|PATCH|DELETE) \S+ \d{3} \d+ ms$/.test(line.msg));
  expect(requests.map((line) => line.msg.split(' ').slice(0, 3).join(' '))).toEqual([
    'POST /v1/api/user/register/ 201',
    'POST /v1/api/user/account/activate/ 200',
  ]);
  expect(lines.filter((line) => /health/.test(JSON.stringify(line)))).toEqual([]);
  expect(lines.length, lines.map((line) => line.msg).join('\n')).toBeLessThanOrEqual(requests.length + 2);
});
