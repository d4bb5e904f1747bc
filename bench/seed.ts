// Directory data of the benchmarks, in SQL on a bench database: catalogues, doctors (two
// specializations, one designation, a fee, 80% rated) and patients with varied names for search.
// Used by bench/run.ts (doctor list, patient search, mixed load) and bench/directory.ts.
import pg from 'pg';

export const DIRECTORY = { doctors: 1_000, patients: 100_000 } as const;

export async function seedDirectory(url: string, counts: { doctors: number; patients: number } = DIRECTORY): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO specializations (id, name, slug, updated_at)
        SELECT gen_random_uuid(), 'Specialization ' || g, 'specialization-' || g, now() FROM generate_series(1, 30) g;
      INSERT INTO designations (id, name, slug, updated_at)
        SELECT gen_random_uuid(), 'Designation ' || g, 'designation-' || g, now() FROM generate_series(1, 8) g;
      INSERT INTO users (id, email, password_hash, first_name, last_name, role, is_active, updated_at)
        SELECT gen_random_uuid(), 'doctor' || g || '@example.com', 'x', 'Doc' || (g % 211), 'Surname' || (g % 397), 'doctor', true, now()
          FROM generate_series(1, ${counts.doctors}) g;
      INSERT INTO doctors (id, user_id, bio, fee, rating_average, rating_count, updated_at)
        SELECT gen_random_uuid(), id, 'Bio of ' || email, round((20 + random() * 180)::numeric, 2),
               CASE WHEN random() < 0.8 THEN round((1 + random() * 4)::numeric, 2) END, (random() * 50)::int, now()
          FROM users WHERE role = 'doctor';
      INSERT INTO doctor_specializations (doctor_id, specialization_id)
        SELECT d.id, s.id FROM doctors d
          JOIN LATERAL (SELECT id FROM specializations WHERE d.id IS NOT NULL ORDER BY random() LIMIT 2) s ON true;
      INSERT INTO doctor_designations (doctor_id, designation_id)
        SELECT d.id, g.id FROM doctors d
          JOIN LATERAL (SELECT id FROM designations WHERE d.id IS NOT NULL ORDER BY random() LIMIT 1) g ON true;
      INSERT INTO users (id, email, password_hash, first_name, last_name, role, is_active, updated_at)
        SELECT gen_random_uuid(), 'patient' || g || '@example.com', 'x',
               (ARRAY['Ana','Ben','Chloe','Dmitri','Eva','Farah','Goran','Hana','Ivo','Jana','Kofi','Lena','Mika','Nora','Omar','Pia'])[1 + g % 16] || (g % 997),
               (ARRAY['Smith','Garcia','Novak','Tanaka','Okafor','Larsen','Rossi','Dubois','Kowalski','Silva'])[1 + g % 10] || (g % 1009),
               'patient', true, now()
          FROM generate_series(1, ${counts.patients}) g;
      INSERT INTO patients (id, user_id, updated_at) SELECT gen_random_uuid(), id, now() FROM users WHERE role = 'patient';
      ANALYZE;`);
  } finally {
    await client.end();
  }
}
