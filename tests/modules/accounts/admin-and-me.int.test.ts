// user/list (admin) with search, filters and paging links, and user/me with strict updates.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, type Tokens } from '../../helpers/actors.ts';
import { get, patch } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { expectFieldError, expectProblem } from '../../helpers/http.ts';

const t = useTestApp();
let adminTokens: Tokens;

beforeAll(async () => {
  adminTokens = await login(t.app, await createUser(t.db, { role: 'admin' }));
});

interface UserPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: { id: string; email: string; firstName: string; role: string; isActive: boolean }[];
}

const list = (query: string, tokens: Tokens = adminTokens) => get(t.app, `list?${query}`, { headers: bearer(tokens) });

// Every test makes its own users (the list ones only read theirs): they run concurrently.
describe.concurrent('user/list', () => {
  /** Five users whose first name carries a marker no other test uses. */
  let marker: string;
  let ids: { activePatients: string[]; inactive: string; doctor: string };

  beforeAll(async () => {
    marker = `Mk${randomUUID().slice(0, 8)}`;
    const a = await createUser(t.db, { firstName: `${marker}a` });
    const b = await createUser(t.db, { firstName: `${marker}b` });
    const c = await createUser(t.db, { firstName: `${marker}c` });
    const inactive = await createUser(t.db, { firstName: `${marker}d`, isActive: false });
    const doctor = await createUser(t.db, { firstName: `${marker}e`, role: 'doctor' });
    ids = { activePatients: [a.id, b.id, c.id], inactive: inactive.id, doctor: doctor.id };
  });

  it('search is a case-insensitive substring match over names and email', async () => {
    const response = await list(`search=${marker.toUpperCase()}`);
    expect(response.statusCode).toBe(200);
    const page = response.json<UserPage>();
    expect(page.count).toBe(5);
    expect(page.results).toHaveLength(5);
    expect(page.next).toBeNull();
    expect(page.previous).toBeNull();

    const someone = await createUser(t.db);
    const byEmail = (await list(`search=${encodeURIComponent(someone.email.slice(0, 18).toUpperCase())}`)).json<UserPage>();
    expect(byEmail.results.map((user) => user.id)).toContain(someone.id);
  });

  it('LIKE wildcards in search are taken literally: `%` and `_` match only themselves (issue 18 L5)', async () => {
    const mine = `Lk${randomUUID().slice(0, 8)}`;
    const literal = await createUser(t.db, { firstName: `${mine}%x` });
    const plain = await createUser(t.db, { firstName: `${mine}ab` });
    const idsFor = async (search: string) => (await list(`search=${encodeURIComponent(search)}&pageSize=100`)).json<UserPage>().results.map((user) => user.id);
    for (const search of ['%', '_', '%%', '\\']) expect(await idsFor(search), search).not.toContain(plain.id);
    expect(await idsFor(`${mine}%`)).toEqual([literal.id]);
    expect(await idsFor(`${mine}_`)).toEqual([]);
    expect((await idsFor(mine)).sort()).toEqual([literal.id, plain.id].sort());
  });

  it('filters by role and isActive', async () => {
    const doctors = (await list(`search=${marker}&role=doctor`)).json<UserPage>();
    expect(doctors.results.map((user) => user.id)).toEqual([ids.doctor]);
    const inactive = (await list(`search=${marker}&isActive=false`)).json<UserPage>();
    expect(inactive.results.map((user) => user.id)).toEqual([ids.inactive]);
    expect(inactive.results[0]!.isActive).toBe(false);
    const activePatients = (await list(`search=${marker}&isActive=true&role=patient`)).json<UserPage>();
    expect(activePatients.count).toBe(3);
    expect(activePatients.results.map((user) => user.id).sort()).toEqual([...ids.activePatients].sort());
  });

  it('pages with absolute next/previous links that keep every query parameter', async () => {
    const first = await list(`search=${marker}&isActive=true&pageSize=2`);
    expect(first.statusCode).toBe(200);
    const page1 = first.json<UserPage>();
    expect(page1.count).toBe(4);
    expect(page1.results).toHaveLength(2);
    expect(page1.previous).toBeNull();
    expect(page1.next).not.toBeNull();

    const next = new URL(page1.next!);
    expect(next.protocol).toMatch(/^https?:$/);
    expect(next.pathname.replace(/\/$/, '')).toBe('/v1/api/user/list');
    expect(Object.fromEntries(next.searchParams)).toEqual({ search: marker, isActive: 'true', pageSize: '2', page: '2' });

    const second = await t.app.inject({ method: 'GET', url: `${next.pathname}${next.search}`, headers: bearer(adminTokens) });
    expect(second.statusCode).toBe(200);
    const page2 = second.json<UserPage>();
    expect(page2.results).toHaveLength(2);
    expect(page2.next).toBeNull();
    const previous = new URL(page2.previous!);
    expect(Object.fromEntries(previous.searchParams)).toEqual({ search: marker, isActive: 'true', pageSize: '2', page: '1' });

    // The two pages together are the four matches, each once.
    const seen = [...page1.results, ...page2.results].map((user) => user.id);
    expect(new Set(seen).size).toBe(4);
    expect(seen.sort()).toEqual([...ids.activePatients, ids.doctor].sort());
  });

  it('a page past the end answers empty results, not an error', async () => {
    const response = await list(`search=${marker}&page=99&pageSize=2`);
    expect(response.statusCode).toBe(200);
    const page = response.json<UserPage>();
    expect(page.count).toBe(5);
    expect(page.results).toEqual([]);
    expect(page.next).toBeNull();
  });

  it.each(['page=0', 'page=abc', 'pageSize=0', 'pageSize=101', 'role=superuser', 'isActive=maybe'])('%s → 400 validation_failed', async (query) => {
    expectProblem(await list(query), 400, 'validation_failed');
  });

  it('a patient or a doctor → 403 forbidden; no token → 401', async () => {
    for (const role of ['patient', 'doctor'] as const) {
      const tokens = await login(t.app, await createUser(t.db, { role }));
      expectProblem(await list('', tokens), 403, 'forbidden');
    }
    expectProblem(await get(t.app, 'list'), 401, 'unauthorized');
  });
});

describe.concurrent('user/me', () => {
  it('GET answers the caller’s account', async () => {
    const user = await createUser(t.db, { firstName: 'Meg' });
    const tokens = await login(t.app, user);
    const response = await get(t.app, 'me', { headers: bearer(tokens) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: user.id, email: user.email, firstName: 'Meg', lastName: 'User', role: 'patient', isActive: true, twoStepLogin: false, phone: null });
  });

  it('PATCH updates only what is sent; phone can be cleared with null', async () => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    expect((await patch(t.app, 'me', { phone: '+15551234567' }, { headers: bearer(tokens) })).json()).toMatchObject({ phone: '+15551234567', firstName: 'Test' });
    const response = await patch(t.app, 'me', { lastName: 'Changed', phone: null }, { headers: bearer(tokens) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ firstName: 'Test', lastName: 'Changed', phone: null });
  });

  it.each([
    ['role', 'admin'],
    ['isActive', false],
    ['email', 'someone-else@example.com'],
    ['id', '00000000-0000-7000-8000-000000000000'],
    ['passwordHash', 'x'],
  ])('PATCH with `%s` → 400 naming it, and nothing changes', async (field, value) => {
    const user = await createUser(t.db);
    const tokens = await login(t.app, user);
    const response = await patch(t.app, 'me', { firstName: 'Sneaky', [field]: value }, { headers: bearer(tokens) });
    expectFieldError(response, field);
    const row = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row).toMatchObject({ role: 'patient', isActive: true, email: user.email, firstName: 'Test' });
  });

  it('PATCH with a bad phone → 400 on `phone`', async () => {
    const tokens = await login(t.app, await createUser(t.db));
    expectFieldError(await patch(t.app, 'me', { phone: '0123' }, { headers: bearer(tokens) }), 'phone');
  });

  it('GET and PATCH without a token → 401 unauthorized', async () => {
    expectProblem(await get(t.app, 'me'), 401, 'unauthorized');
    expectProblem(await patch(t.app, 'me', { firstName: 'X' }), 401, 'unauthorized');
  });
});
