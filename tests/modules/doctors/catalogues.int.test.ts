// Specializations and designations: public arrays, admin writes, derived slugs, 409 on duplicates, strict bodies.
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';

const t = useTestApp();
let admin: Actor<'admin'>;
let patient: Actor<'patient'>;
let doctor: Actor<'doctor'>;

beforeAll(async () => {
  [admin, patient, doctor] = await Promise.all([loginAs(t, 'admin'), loginAs(t, 'patient'), loginAs(t, 'doctor')]);
});

const DOCTOR = `${API}/doctor`;

for (const kind of ['specializations', 'designations'] as const) {
  describe(`doctor/${kind}/`, () => {
    const base = `${DOCTOR}/${kind}`;
    const extra = kind === 'specializations' ? { description: 'Heart things' } : {};

    it('admin creates with a slug derived from the name; anyone lists a plain array and reads one', async () => {
      const created = await t.app.inject({ method: 'POST', url: `${base}/`, headers: admin.headers, payload: { name: 'Heart & Lungs Ü', ...extra } });
      expect(created.statusCode, created.body).toBe(201);
      const body = created.json<{ id: string; name: string; slug: string; description?: string }>();
      expect(body).toMatchObject({ name: 'Heart & Lungs Ü', slug: 'heart-lungs-u', ...extra });

      const list = await t.app.inject({ method: 'GET', url: `${base}/` });
      expect(list.statusCode).toBe(200);
      expect(Array.isArray(list.json())).toBe(true);
      expect(list.json<{ id: string }[]>().map((entry) => entry.id)).toContain(body.id);

      const one = await t.app.inject({ method: 'GET', url: `${base}/${body.id}` });
      expect(one.json()).toEqual(body);
    });

    it('every admin change is in the audit trail with the admin; a refused one records nothing', async () => {
      const name = `Audited ${kind} ${Date.now()}`;
      const created = await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name, ...extra } });
      const { id } = created.json<{ id: string }>();
      await t.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: admin.headers, payload: { name: `${name} 2` } });
      await t.app.inject({ method: 'PUT', url: `${base}/${id}`, headers: admin.headers, payload: { name: `${name} 3`, ...extra } });
      expectProblem(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: `${name} 3` } }), 409, 'conflict');
      expect((await t.app.inject({ method: 'DELETE', url: `${base}/${id}`, headers: admin.headers })).statusCode).toBe(204);
      const rows = await t.db.auditEvent.findMany({ where: { subjectId: id }, orderBy: { seq: 'asc' }, omit: { seq: true } });
      expect(rows.map((row) => [row.action, row.actorId, row.actorRole, row.subjectType])).toEqual([
        ['catalogue.create', admin.user.id, 'admin', kind],
        ['catalogue.update', admin.user.id, 'admin', kind],
        ['catalogue.update', admin.user.id, 'admin', kind],
        ['catalogue.delete', admin.user.id, 'admin', kind],
      ]);
      expect(await t.db.auditEvent.count({ where: { action: 'catalogue.create', subjectType: kind, outcome: 'success', createdAt: { gte: rows[0]!.createdAt } } })).toBe(1);
    });

    it('keeps a sent slug and answers 409 conflict for a duplicate name or slug', async () => {
      const first = await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Neuro', slug: 'brain' } });
      expect(first.json()).toMatchObject({ slug: 'brain' });
      expectProblem(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Neuro' } }), 409, 'conflict');
      expectProblem(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Other', slug: 'brain' } }), 409, 'conflict');
      // A name whose derived slug clashes is a conflict too.
      expectProblem(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'BRAIN' } }), 409, 'conflict');
    });

    it('PUT derives the slug again, PATCH keeps it; renaming onto another entry is 409', async () => {
      const a = (await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Alpha One' } })).json<{ id: string }>();
      await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Beta One' } });
      const patched = await t.app.inject({ method: 'PATCH', url: `${base}/${a.id}/`, headers: admin.headers, payload: { name: 'Alpha Two' } });
      expect(patched.json()).toMatchObject({ name: 'Alpha Two', slug: 'alpha-one' });
      const put = await t.app.inject({ method: 'PUT', url: `${base}/${a.id}`, headers: admin.headers, payload: { name: 'Alpha Three' } });
      expect(put.json()).toMatchObject({ name: 'Alpha Three', slug: 'alpha-three' });
      expectProblem(await t.app.inject({ method: 'PATCH', url: `${base}/${a.id}`, headers: admin.headers, payload: { name: 'Beta One' } }), 409, 'conflict');
      expectProblem(await t.app.inject({ method: 'PATCH', url: `${base}/${a.id}`, headers: admin.headers, payload: { slug: 'beta-one' } }), 409, 'conflict');
    });

    it('admin deletes (204); then 404', async () => {
      const a = (await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Gone Soon' } })).json<{ id: string }>();
      expect((await t.app.inject({ method: 'DELETE', url: `${base}/${a.id}/`, headers: admin.headers })).statusCode).toBe(204);
      expectProblem(await t.app.inject({ method: 'GET', url: `${base}/${a.id}` }), 404, 'not_found');
      expectProblem(await t.app.inject({ method: 'DELETE', url: `${base}/${a.id}`, headers: admin.headers }), 404, 'not_found');
      expectProblem(await t.app.inject({ method: 'PATCH', url: `${base}/${a.id}`, headers: admin.headers, payload: { name: 'x' } }), 404, 'not_found');
    });

    it('writes need an admin: 401 anonymous, 403 patient and doctor', async () => {
      const a = (await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Guarded' } })).json<{ id: string }>();
      expectProblem(await t.app.inject({ method: 'POST', url: base, payload: { name: 'Nope' } }), 401, 'unauthorized');
      for (const caller of [patient, doctor]) {
        expectProblem(await t.app.inject({ method: 'POST', url: base, headers: caller.headers, payload: { name: 'Nope' } }), 403, 'forbidden');
        expectProblem(await t.app.inject({ method: 'PUT', url: `${base}/${a.id}`, headers: caller.headers, payload: { name: 'Nope' } }), 403, 'forbidden');
        expectProblem(await t.app.inject({ method: 'PATCH', url: `${base}/${a.id}`, headers: caller.headers, payload: { name: 'Nope' } }), 403, 'forbidden');
        expectProblem(await t.app.inject({ method: 'DELETE', url: `${base}/${a.id}`, headers: caller.headers }), 403, 'forbidden');
      }
    });

    it('refuses unknown fields, hostile strings, bad slugs and bad ids with 400', async () => {
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'X1', id: 'abc' } }), 'id');
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Bad\u0000Name' } }), 'name');
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'Bad\nName' } }), 'name');
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: 'X2', slug: 'Not A Slug' } }), 'slug');
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: '' } }), 'name');
      expectFieldError(await t.app.inject({ method: 'POST', url: base, headers: admin.headers, payload: { name: '%%%' } }), 'slug');
      expectProblem(await t.app.inject({ method: 'GET', url: `${base}/not-a-uuid` }), 400, 'validation_failed');
    });
  });
}
