// `npm run audit:verify`: recomputes the audit trail's hash chain (as GET operations/audit/verify/
// does), prints `{ok, checked, firstBrokenId}` as JSON and exits 1 when a link is broken.
import { existsSync } from 'node:fs';
import { createDb } from '../src/lib/db.ts';
import { verifyChain } from '../src/modules/audit/index.ts';
import { withScriptDatabase } from './script-db.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

await withScriptDatabase(async (url) => {
  const db = createDb({ url, poolSize: 1 });
  try {
    const result = await verifyChain(db);
    console.log(JSON.stringify(result));
    if (!result.ok) process.exitCode = 1;
  } finally {
    await db.$disconnect();
  }
});
