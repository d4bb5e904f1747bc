// CLI for offline migrations: `migrate.ts deploy` applies pending ones, `migrate.ts new <name>` writes the next one.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, createMigration, repoRoot } from '../src/lib/migrations.ts';

const usage = 'usage: tsx scripts/migrate.ts deploy | new <name>';

async function main(args: string[]): Promise<void> {
  const envFile = path.join(repoRoot, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile); // never overrides variables already set
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (environment or .env)');

  const [command, name, ...rest] = args;
  if (command === 'deploy' && name === undefined) {
    const applied = await applyMigrations(databaseUrl);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } else if (command === 'new' && name && rest.length === 0) {
    // Only a temporary database on that server is touched: the migrations are replayed there.
    const file = await createMigration(databaseUrl, name);
    console.log(`created ${path.relative(process.cwd(), file)}`);
  } else {
    throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Engine errors span lines and end in a Rust backtrace ("   0: schema_engine_wasm::..."):
  // drop the backtrace and fold the rest into one line.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`migrate: ${message.split(/\n\s*0: /)[0]!.replace(/\s*\n\s*/g, ' ').trim()}`);
  process.exit(1);
});
