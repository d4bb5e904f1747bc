// Vitest global setup of the integration project: a migrated template database once per run, torn down at the end.
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL;

  if (!adminUrl) {
    // No server given: the embedded one, in a temporary directory (never the developer's .data/).
    // It has a single database, so the migrations go straight into it and files share it.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'clinic-test-db-'));
    const embedded = await startEmbeddedDatabase({ dataDir });
    try {
      await applyMigrations(embedded.url);
    } catch (error) {
      await embedded.close();
      throw error;
    }
    const info: TestDatabaseInfo = { adminUrl: embedded.url, template: null, embedded: true, shadowUrl: embedded.shadowUrl };
    project.provide('testDatabase', info);
    return async () => {
      await embedded.close();
      await rm(dataDir, { recursive: true, force: true });
    };
  }

  const template = `clinic_template_${randomBytes(4).toString('hex')}`;
  const dropTemplate = () => query(adminUrl, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await query(adminUrl, `CREATE DATABASE ${template}`);
  try {
    const templateUrl = withDatabaseName(adminUrl, template);
    await applyMigrations(templateUrl);
    await installJobSchema(templateUrl);
  } catch (error) {
    await dropTemplate();
    throw error;
  }
  project.provide('testDatabase', { adminUrl, template, embedded: false, shadowUrl: null });
  return dropTemplate;
}
