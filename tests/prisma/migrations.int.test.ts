// The migrations against prisma/schema.prisma: no drift, re-applying is a no-op, hand-written constraints are in place.
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, migrationsDir } from '../../src/lib/migrations.ts';
import { withPgClient } from '../../src/lib/pg.ts';
import { useTestDatabase } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

const rows = async <T>(url: string, sql: string) => (await withPgClient(url, (client) => client.query(sql))).rows as T[];

const migrationNames = async () =>
  (await readdir(migrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe('migrations', () => {
  const database = useTestDatabase();

  it('produce exactly prisma/schema.prisma (empty diff)', async () => {
    expect(await diffMigrationsToSchema(database.url)).toBe('');
  });

  it('apply nothing the second time', async () => {
    expect(await applyMigrations(database.url)).toEqual([]);
    const applied = await rows<{ migration_name: string }>(
      database.url,
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY 1',
    );
    expect(applied.map((r) => r.migration_name)).toEqual(await migrationNames());
  });

  it('apply every migration once to an empty database', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      expect(await applyMigrations(empty.url)).toEqual(await migrationNames());
      expect(await applyMigrations(empty.url)).toEqual([]);
    } finally {
      await empty.drop();
    }
  });

  it('create the hand-written constraints Prisma cannot express', async () => {
    const constraints = await rows<{ conname: string; contype: string }>(
      database.url,
      `SELECT conname, contype::text FROM pg_constraint WHERE contype IN ('c', 'x') AND connamespace = 'public'::regnamespace ORDER BY 1`,
    );
    expect(constraints).toEqual([
      { conname: 'appointments_buffers_range', contype: 'c' },
      { conname: 'appointments_no_overlap', contype: 'x' },
      { conname: 'appointments_time_order', contype: 'c' },
      { conname: 'available_times_no_overlap', contype: 'x' },
      { conname: 'available_times_time_order', contype: 'c' },
      { conname: 'available_times_valid_order', contype: 'c' },
      { conname: 'available_times_weekday_range', contype: 'c' },
      { conname: 'doctor_booking_rules_ranges', contype: 'c' },
      { conname: 'doctor_time_off_time_order', contype: 'c' },
      { conname: 'reviews_rating_range', contype: 'c' },
      { conname: 'slot_holds_no_overlap', contype: 'x' },
      { conname: 'slot_holds_time_order', contype: 'c' },
      { conname: 'waitlist_entries_date_order', contype: 'c' },
      { conname: 'waitlist_entries_offer_complete', contype: 'c' },
    ]);
  });
});
