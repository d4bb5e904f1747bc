// `npm run create-admin -- --email E --password P`: creates an active admin, or promotes and
// activates the existing account with that email (its password is then left unchanged).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDb } from '../src/lib/db.ts';
import { checkPasswordPolicy, hashPassword } from '../src/lib/password.ts';
import { createOrPromoteAdmin } from '../src/modules/accounts/admin.service.ts';
import { emailSchema } from '../src/schemas/common.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

if (existsSync('.env')) process.loadEnvFile('.env');
const databaseUrl = process.env.DATABASE_URL ?? fail('DATABASE_URL is required (the embedded database of `npm start` is not reachable from here).');

const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
const email = emailSchema.safeParse(values.email ?? '');
if (!email.success) fail('Usage: npm run create-admin -- --email admin@example.com --password <password>');
const password = z.string().parse(values.password ?? '');

const db = createDb({ url: databaseUrl, poolSize: 1 });
try {
  const existing = await db.user.findUnique({ where: { email: email.data }, select: { id: true } });
  if (!existing) {
    const problem = checkPasswordPolicy(password, { email: email.data });
    if (problem) fail(`Password rejected: ${problem}`);
  }
  const outcome = await createOrPromoteAdmin(db, { email: email.data, passwordHash: existing ? null : await hashPassword(password) });
  console.log(outcome === 'created' ? `Created admin ${email.data}.` : `Promoted ${email.data} to an active admin (password unchanged).`);
} finally {
  await db.$disconnect();
}
