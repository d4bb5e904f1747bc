// Vitest global setup of the integration project: the test server and a migrated template database, once per run, torn down at the end.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDatabase } from '../../src/lib/embedded-db.ts';
import { applyMigrations } from '../../src/lib/migrations.ts';
import { withDatabaseName, withPgClient } from '../../src/lib/pg.ts';
import { createJobs } from '../../src/lib/jobs.ts';
import { MODULES } from '../../src/modules/index.ts';
import { queuesOf } from '../../src/workers.ts';
// Type-only: brings the `testDatabase` ProvidedContext declaration without loading vitest's runtime here.
import type { TestDatabaseInfo } from './database.ts';

/** pg-boss's own schema, installed once in the template instead of by every test app. */
async function installJobSchema(url: string): Promise<void> {
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const jobs = createJobs({ databaseUrl: url, poolSize: 1, secretKey: randomBytes(32).toString('hex'), logger: silent, queues: queuesOf(MODULES) });
  await jobs.start();
  await jobs.stop();
}

async function query(url: string, sql: string): Promise<void> {
  await withPgClient(url, (client) => client.query(sql));
}

/**
 * The server of the run: TEST_DATABASE_URL's (vitest.config.ts sets it when a local PostgreSQL
 * answers), or else an embedded PostgreSQL in a temporary folder (never the developer's
 * `.data/`), stopped and removed by `close()`.
 */
async function testServer(): Promise<{ url: string; close(): Promise<void> }> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return { url: given, close: async () => {} };
  const dir = await mkdtemp(path.join(tmpdir(), 'clinic-test-db-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const embedded = await startEmbeddedDatabase({ dir, ephemeral: true });
    return {
      url: embedded.url,
      close: async () => {
        await embedded.close();
        await removeDir();
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

/** One migrated template that every test file clones into a database of its own, on either server. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await testServer();
  const template = `clinic_template_${randomBytes(4).toString('hex')}`;
  const teardown = async () => {
    await query(server.url, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await server.close();
  };
  try {
    await query(server.url, `CREATE DATABASE ${template}`);
    const templateUrl = withDatabaseName(server.url, template);
    await applyMigrations(templateUrl);
    await installJobSchema(templateUrl);
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide('testDatabase', { adminUrl: server.url, template } satisfies TestDatabaseInfo);
  return teardown;
}
