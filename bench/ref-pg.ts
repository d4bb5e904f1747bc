// Reference of `npm run bench`: what `GET /v1/api/user/me` must do at least, through plain `pg`
// in its own process: verify the HS256 access JWT (key derived from SECRET_KEY as
// src/lib/keys.ts does; issuer, audience, expiry checked), then ONE statement reading the
// user row while checking that the user is active and the session (refresh family) is live,
// i.e. plugins/auth.ts's findActiveSession and accounts.getMe folded together.
// Env: PORT, DATABASE_URL, SECRET_KEY, DATABASE_POOL_SIZE (default 10, as the API).
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const ISSUER = 'clinic-api';
const AUDIENCE = 'clinic-api';
const secretKey = process.env.SECRET_KEY ?? '';
const databaseUrl = process.env.DATABASE_URL ?? '';
if (!secretKey || !databaseUrl) throw new Error('ref-pg needs SECRET_KEY and DATABASE_URL');
const key = Buffer.from(hkdfSync('sha256', secretKey, 'clinic-api', 'jwt-access', 32));
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });

interface Claims {
  sub: string;
  sid: string;
  iss: string;
  aud: string | string[];
  exp: number;
}

/** The claims of a valid token, or null. */
function verify(token: string): Claims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Claims;
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (head.alg !== 'HS256' || claims.iss !== ISSUER || !audiences.includes(AUDIENCE)) return null;
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
    return typeof claims.sub === 'string' && typeof claims.sid === 'string' ? claims : null;
  } catch {
    return null;
  }
}

interface UserRow {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: string;
  isActive: boolean;
  twoStepLogin: boolean;
  createdAt: Date;
}

const USER_ME = {
  name: 'ref_user_me',
  text: `SELECT u.id, u.email, u.first_name AS "firstName", u.last_name AS "lastName", u.phone,
                u.role::text AS role, u.is_active AS "isActive", u.two_step_login AS "twoStepLogin",
                u.created_at AS "createdAt"
           FROM users u
          WHERE u.id = $1::uuid AND u.is_active AND u.deleted_at IS NULL
            AND EXISTS (SELECT 1 FROM refresh_tokens t
                         WHERE t.family_id = $2::uuid AND t.user_id = u.id
                           AND t.revoked_at IS NULL AND t.expires_at > now())`,
};

const app = Fastify({ logger: false });
app.get('/v1/api/user/me', async (request, reply) => {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  const claims = match ? verify(match[1]!) : null;
  if (!claims) return reply.code(401).send({ code: 'token_invalid' });
  const { rows } = await pool.query<UserRow>({ ...USER_ME, values: [claims.sub, claims.sid] });
  const user = rows[0];
  if (!user) return reply.code(401).send({ code: 'token_invalid' });
  return { ...user, createdAt: user.createdAt.toISOString() };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const stop = () => void app.close().then(() => pool.end()).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
