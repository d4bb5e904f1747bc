// Reference of `bench/directory.ts`: the public doctor list page (`GET /v1/api/doctor/list/`,
// ordering by -rating) served by plain `pg` in its own process: the same single SQL statement as
// src/modules/doctors/doctors.queries.ts (page first, relations by json_agg, count(*) OVER ()),
// the same answer shape, and page links on PUBLIC_URL. No validation library, no Prisma.
// Env: PORT, DATABASE_URL, PUBLIC_URL, DATABASE_POOL_SIZE (default 10, as the API).
import Fastify from 'fastify';
import pg from 'pg';

const databaseUrl = process.env.DATABASE_URL ?? '';
const publicUrl = process.env.PUBLIC_URL ?? '';
if (!databaseUrl || !publicUrl) throw new Error('ref-pg-directory needs DATABASE_URL and PUBLIC_URL');
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });

const PAGE = {
  name: 'ref_doctor_page',
  text: `
    WITH page AS (
      SELECT d.id, d.user_id, u.email, u.first_name, u.last_name, d.bio, d.fee::text AS fee,
             d.years_of_experience::int AS years_of_experience, d.accepting_patients, d.auto_confirm, d.timezone,
             d.avatar_id, d.rating_average::float8 AS rating_average, d.rating_count,
             (count(*) OVER ())::int AS total, (row_number() OVER (ORDER BY d.rating_average DESC NULLS LAST, d.id))::int AS position
        FROM doctors d JOIN users u ON u.id = d.user_id
       WHERE d.deleted_at IS NULL AND u.is_active AND u.deleted_at IS NULL AND u.role = 'doctor'
       ORDER BY d.rating_average DESC NULLS LAST, d.id
       LIMIT $1 OFFSET $2
    )
    SELECT d.*,
           COALESCE((SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'slug', s.slug) ORDER BY s.name)
                       FROM doctor_specializations ds JOIN specializations s ON s.id = ds.specialization_id
                      WHERE ds.doctor_id = d.id), '[]'::json) AS specializations,
           COALESCE((SELECT json_agg(json_build_object('id', g.id, 'name', g.name, 'slug', g.slug) ORDER BY g.name)
                       FROM doctor_designations dd JOIN designations g ON g.id = dd.designation_id
                      WHERE dd.doctor_id = d.id), '[]'::json) AS designations
      FROM page d
     ORDER BY d.position`,
};

interface Row {
  id: string;
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  bio: string;
  fee: string;
  years_of_experience: number;
  accepting_patients: boolean;
  auto_confirm: boolean;
  timezone: string;
  avatar_id: string | null;
  rating_average: number | null;
  rating_count: number;
  total: number;
  specializations: unknown[];
  designations: unknown[];
}

const app = Fastify({ logger: false });
app.get('/v1/api/doctor/list/', async (request) => {
  const query = request.query as { page?: string; pageSize?: string };
  const page = Math.max(1, Number(query.page ?? 1) || 1);
  const pageSize = Math.min(100, Math.max(1, Number(query.pageSize ?? 20) || 20));
  const { rows } = await pool.query<Row>({ ...PAGE, values: [pageSize, (page - 1) * pageSize] });
  const count = rows[0] ? rows[0].total : 0;
  const url = new URL(request.url, publicUrl);
  const link = (target: number) => {
    const next = new URL(url);
    next.searchParams.set('page', String(target));
    next.searchParams.set('pageSize', String(pageSize));
    return next.toString();
  };
  const lastPage = Math.max(1, Math.ceil(count / pageSize));
  return {
    count,
    next: page < lastPage ? link(page + 1) : null,
    previous: page > 1 ? link(Math.min(page - 1, lastPage)) : null,
    results: rows.map((row) => ({
      id: row.id,
      user: { id: row.user_id, email: row.email, firstName: row.first_name, lastName: row.last_name },
      bio: row.bio,
      fee: row.fee,
      yearsOfExperience: row.years_of_experience,
      specializations: row.specializations,
      designations: row.designations,
      acceptingPatients: row.accepting_patients,
      autoConfirm: row.auto_confirm,
      timezone: row.timezone,
      avatarUrl: row.avatar_id ? `${publicUrl}/v1/api/media/${row.avatar_id}` : null,
      rating: { average: row.rating_average, count: row.rating_count },
    })),
  };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const stop = () => void app.close().then(() => pool.end()).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
