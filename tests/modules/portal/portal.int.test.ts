// The public portal: contact-us and report-bug (JSON or multipart with a screenshot) mailing every active admin, the admins'
// inboxes, the services catalogue, and the public lists of doctors (the doctor list itself) and latest reviews.
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { postReview, reviewerOf, type ReviewBody } from '../../helpers/reviews.ts';
import { drainJobs } from '../../helpers/wait.ts';
import { bigPng, JPEG, multipart, PDF, PNG, TEXT } from '../../helpers/upload-fixtures.ts';

const PORTAL = `${API}/public-portal`;

const t = useTestApp();
let admin1: Actor<'admin'>;
let admin2: Actor<'admin'>;
let inactiveAdmin: { email: string };
let patient: Actor<'patient'>;
let doctor: Actor<'doctor'>;

beforeAll(async () => {
  admin1 = await loginAs(t, 'admin');
  admin2 = await loginAs(t, 'admin');
  inactiveAdmin = await createUser(t.db, { role: 'admin', isActive: false });
  patient = await loginAs(t, 'patient');
  doctor = await loginAs(t, 'doctor');
});

const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, caller?: { headers: Record<string, string> }, payload?: unknown) =>
  t.app.inject({ method, url: `${PORTAL}/${url}`, ...(caller ? { headers: caller.headers } : {}), ...(payload === undefined ? {} : { payload: payload as object }) });

const mailsTo = (email: string, marker: string) => t.mail.messages.filter((message) => message.to === email && message.text.includes(marker));

async function storedFiles(): Promise<string[]> {
  const entries = await readdir(t.mediaRoot, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const contact = (marker = randomUUID()) => ({ name: 'Eve Example', email: 'Eve@Example.com', phone: '+15551234567', subject: 'Opening hours', message: `Are you open on Sundays?\nThanks ${marker}` });

describe('POST public-portal/contact-us/', () => {
  it('answers 201 {id, detail}, stores the message and mails every active admin, nobody else', async () => {
    const marker = randomUUID();
    const response = await send('POST', 'contact-us/', undefined, contact(marker));
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<{ id: string; detail: string }>();
    expect(body).toEqual({ id: expect.any(String), detail: expect.any(String) });
    expect(await t.db.contactMessage.findUniqueOrThrow({ where: { id: body.id }, select: { email: true, phone: true } })).toEqual({ email: 'eve@example.com', phone: '+15551234567' });
    for (const admin of [admin1, admin2]) {
      const mail = await t.mail.waitFor((message) => message.to === admin.user.email && message.text.includes(marker));
      expect(mail.subject).toBe('Contact form: Opening hours');
      expect(mail.text).toContain('eve@example.com');
    }
    await drainJobs(t);
    // Exactly the active admins.
    const active = await t.db.user.findMany({ where: { role: 'admin', isActive: true, deletedAt: null }, select: { email: true } });
    expect(active.map((admin) => admin.email)).toEqual(expect.arrayContaining([admin1.user.email, admin2.user.email]));
    expect(t.mail.messages.filter((message) => message.text.includes(marker)).map((message) => message.to).sort()).toEqual(active.map((admin) => admin.email).sort());
    expect(mailsTo(inactiveAdmin.email, marker)).toHaveLength(0);
  });

  it('CR/LF never reaches a header: refused in single-line fields (400), folded or kept in the body otherwise; HTML is escaped', async () => {
    const injections = ['Hi\r\nBcc: evil@attacker.example', 'Hi\nBcc: evil@attacker.example', 'Hi\rBcc: evil@attacker.example', 'Hi\u0000'];
    for (const field of ['name', 'subject', 'email', 'phone'] as const) {
      for (const value of injections) expectFieldError(await send('POST', 'contact-us/', undefined, { ...contact(), [field]: value }), field);
    }
    const marker = randomUUID();
    const response = await send('POST', 'contact-us/', undefined, {
      name: '<b>Eve</b> & co',
      email: 'eve@example.com',
      subject: 'Question\u2028Bcc: evil@attacker.example  \u2029 about <script>',
      message: `Hello\r\nBcc: evil@attacker.example\r\n\r\n<script>alert("x")</script> ${marker}`,
    });
    expect(response.statusCode, response.body).toBe(201);
    const mail = await t.mail.waitFor((message) => message.to === admin1.user.email && message.text.includes(marker));
    expect(mail.subject).toBe('Contact form: Question Bcc: evil@attacker.example about <script>');
    expect(mail.subject).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(Object.keys(mail).sort()).toEqual(['html', 'subject', 'text', 'to']);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;b&gt;Eve&lt;/b&gt; &amp; co');
    await drainJobs(t);
    expect(t.mail.messages.some((message) => message.to.includes('attacker'))).toBe(false);
  });

  it('refuses missing, bad, long and unknown fields with 400 naming the field, never 5xx', async () => {
    const ok = contact();
    for (const field of ['name', 'email', 'subject', 'message'] as const) {
      const { [field]: _omitted, ...rest } = ok;
      expectFieldError(await send('POST', 'contact-us/', undefined, rest), field);
      expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, [field]: '   ' }), field);
    }
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, email: 'not-an-email' }), 'email');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, phone: '555-1234' }), 'phone');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, message: 'x'.repeat(5001) }), 'message');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, message: 'bell\u0007' }), 'message');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, subject: 's'.repeat(201) }), 'subject');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, to: 'evil@attacker.example' }), 'to');
    expectFieldError(await send('POST', 'contact-us/', undefined, { ...ok, id: randomUUID() }), 'id');
    expectProblem(await send('POST', 'contact-us/', undefined, [ok]), 400, 'validation_failed');
  });
});

describe('GET public-portal/contact-us/ (admin inbox)', () => {
  it('pages newest first for admins; 403 other roles, 401 anonymous, 400 bad paging', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await send('POST', 'contact-us/', undefined, contact())).json<{ id: string }>().id);
      t.clock.advance(1000);
    }
    const page = (await send('GET', 'contact-us/?pageSize=2', admin1)).json<Page<{ id: string; email: string; phone: string | null; createdAt: string }>>();
    expect(page.results.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    expect(page.results[0]).toMatchObject({ email: 'eve@example.com', phone: '+15551234567', name: 'Eve Example', subject: 'Opening hours' });
    expect(page.count).toBeGreaterThanOrEqual(3);
    expect(new URL(page.next!).pathname).toBe('/v1/api/public-portal/contact-us/');
    expectProblem(await send('GET', 'contact-us/', patient), 403, 'forbidden');
    expectProblem(await send('GET', 'contact-us/', doctor), 403, 'forbidden');
    expectProblem(await send('GET', 'contact-us/'), 401, 'unauthorized');
    expectProblem(await send('GET', 'contact-us/?page=0', admin1), 400, 'validation_failed');
  });
});

describe('POST public-portal/report-bug/', () => {
  const report = (marker = randomUUID()) => ({ title: 'Button does nothing', description: `Clicking "Book" does nothing.\nSteps: ... ${marker}`, pageUrl: 'https://clinic.example/book?x=1', email: 'Reporter@Example.com' });

  it('takes JSON: 201 {id, detail}, admins mailed; the inbox shows it without a screenshot', async () => {
    const marker = randomUUID();
    const response = await send('POST', 'report-bug/', undefined, report(marker));
    expect(response.statusCode, response.body).toBe(201);
    const { id } = response.json<{ id: string; detail: string }>();
    for (const admin of [admin1, admin2]) {
      const mail = await t.mail.waitFor((message) => message.to === admin.user.email && message.text.includes(marker));
      expect(mail.subject).toBe('Bug report: Button does nothing');
    }
    const inbox = (await send('GET', 'report-bug/?pageSize=100', admin2)).json<Page<Record<string, unknown>>>();
    expect(inbox.results.find((r) => r.id === id)).toEqual({
      id,
      email: 'reporter@example.com',
      title: 'Button does nothing',
      description: report(marker).description,
      pageUrl: 'https://clinic.example/book?x=1',
      screenshotUrl: null,
      createdAt: expect.any(String),
    });
    // Only title and description are required.
    expect((await send('POST', 'report-bug/', undefined, { title: 'T', description: 'D' })).statusCode).toBe(201);
  });

  it('takes multipart with a real PNG or JPEG screenshot, visible to admins only', async () => {
    for (const [bytes, type, name] of [[PNG, 'image/png', 'shot.png'], [JPEG, 'image/jpeg', 'shot.jpg']] as const) {
      const form = multipart({ title: 'Layout broken', description: 'See the screenshot.' }, { field: 'screenshot', filename: name, contentType: type, bytes });
      const response = await t.app.inject({ method: 'POST', url: `${PORTAL}/report-bug/`, headers: form.headers, payload: form.payload });
      expect(response.statusCode, response.body).toBe(201);
      const { id } = response.json<{ id: string }>();
      const inbox = (await send('GET', 'report-bug/?pageSize=100', admin1)).json<Page<{ id: string; screenshotUrl: string | null }>>();
      const url = inbox.results.find((r) => r.id === id)!.screenshotUrl!;
      expect(url).toMatch(/\/v1\/api\/media\/[0-9a-f-]{36}$/);
      const media = await t.db.mediaFile.findUniqueOrThrow({ where: { id: url.split('/').at(-1)! }, select: { kind: true, contentType: true, sizeBytes: true, ownerId: true } });
      expect(media).toEqual({ kind: 'bug_screenshot', contentType: type, sizeBytes: bytes.length, ownerId: null });
      const mediaPath = new URL(url, 'http://x').pathname;
      const fetched = await t.app.inject({ method: 'GET', url: mediaPath, headers: admin1.headers });
      expect(fetched.statusCode).toBe(200);
      expect(fetched.headers['content-type']).toBe(type);
      expect(fetched.rawPayload.equals(bytes)).toBe(true);
      for (const caller of [patient, doctor]) expectProblem(await t.app.inject({ method: 'GET', url: mediaPath, headers: caller.headers }), 404, 'not_found');
      expectProblem(await t.app.inject({ method: 'GET', url: mediaPath }), 404, 'not_found');
    }
  });

  it('refuses a text file named .png and a PDF (415) and a file over 5 MiB (413), leaving no report, row or file', async () => {
    const before = { reports: await t.db.bugReport.count(), media: await t.db.mediaFile.count(), files: (await storedFiles()).length };
    const attempts = [
      { bytes: TEXT, name: 'shot.png', type: 'image/png', status: 415, code: 'unsupported_media_type' },
      { bytes: PDF, name: 'shot.pdf', type: 'application/pdf', status: 415, code: 'unsupported_media_type' },
      { bytes: bigPng(5 * 1024 * 1024 + 1), name: 'big.png', type: 'image/png', status: 413, code: 'payload_too_large' },
    ];
    for (const attempt of attempts) {
      const form = multipart({ title: 'T', description: 'D' }, { field: 'screenshot', filename: attempt.name, contentType: attempt.type, bytes: attempt.bytes });
      expectProblem(await t.app.inject({ method: 'POST', url: `${PORTAL}/report-bug/`, headers: form.headers, payload: form.payload }), attempt.status, attempt.code);
    }
    // Exactly 5 MiB is fine.
    const form = multipart({ title: 'T', description: 'D' }, { field: 'screenshot', filename: 'max.png', contentType: 'image/png', bytes: bigPng(5 * 1024 * 1024) });
    expect((await t.app.inject({ method: 'POST', url: `${PORTAL}/report-bug/`, headers: form.headers, payload: form.payload })).statusCode).toBe(201);
    expect({ reports: await t.db.bugReport.count(), media: await t.db.mediaFile.count(), files: (await storedFiles()).length }).toEqual({
      reports: before.reports + 1,
      media: before.media + 1,
      files: before.files + 1,
    });
  });

  it('refuses bad fields (JSON and multipart), a file in another field and unknown fields with 400, storing nothing', async () => {
    const before = { reports: await t.db.bugReport.count(), media: await t.db.mediaFile.count() };
    const ok = report();
    for (const [field, value] of [
      ['title', ''],
      ['title', 'a\r\nBcc: x@y.z'],
      ['description', 'nul\u0000'],
      ['email', 'nope'],
      ['pageUrl', 'javascript:alert(1)'],
      ['pageUrl', 'not a url'],
      ['pageUrl', 'https://x.example/\npath'],
      ['pageUrl', `https://x.example/${'a'.repeat(2000)}`],
      ['reporterId', randomUUID()],
    ] as const) {
      expectFieldError(await send('POST', 'report-bug/', undefined, { ...ok, [field]: value }), field);
      const form = multipart({ ...ok, [field]: value }, { field: 'screenshot', filename: 's.png', contentType: 'image/png', bytes: PNG });
      expectFieldError(await t.app.inject({ method: 'POST', url: `${PORTAL}/report-bug/`, headers: form.headers, payload: form.payload }), field);
    }
    const wrongField = multipart({ title: 'T', description: 'D' }, { field: 'file', filename: 's.png', contentType: 'image/png', bytes: PNG });
    expectFieldError(await t.app.inject({ method: 'POST', url: `${PORTAL}/report-bug/`, headers: wrongField.headers, payload: wrongField.payload }), 'file');
    expect({ reports: await t.db.bugReport.count(), media: await t.db.mediaFile.count() }).toEqual(before);
  });
});

describe('GET public-portal/report-bug/ (admin inbox)', () => {
  it('pages newest first for admins; 403 other roles, 401 anonymous', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      t.clock.advance(1000);
      ids.push((await send('POST', 'report-bug/', undefined, { title: `Bug ${i}`, description: 'D' })).json<{ id: string }>().id);
    }
    const page = (await send('GET', 'report-bug/?pageSize=2', admin1)).json<Page<{ id: string }>>();
    expect(page.results.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expectProblem(await send('GET', 'report-bug/', patient), 403, 'forbidden');
    expectProblem(await send('GET', 'report-bug/', doctor), 403, 'forbidden');
    expectProblem(await send('GET', 'report-bug/'), 401, 'unauthorized');
    expectProblem(await send('GET', 'report-bug/?pageSize=0', admin1), 400, 'validation_failed');
  });
});

describe('public-portal/services/', () => {
  it('admins create (slug derived), replace, patch and delete; the public list is a plain array', async () => {
    const name = `Physio Therapy ${randomUUID().slice(0, 6)}`;
    const created = await send('POST', 'services/', admin1, { name, description: 'Exercises\nand massage.' });
    expect(created.statusCode, created.body).toBe(201);
    const service = created.json<{ id: string; slug: string }>();
    expect(service).toEqual({ id: expect.any(String), name, slug: name.toLowerCase().replaceAll(' ', '-'), description: 'Exercises\nand massage.' });
    const list = await send('GET', 'services/');
    expect(Array.isArray(list.json())).toBe(true);
    expect(list.json()).toContainEqual(service);
    expect((await send('GET', `services/${service.id}/`)).json()).toEqual(service);

    const patched = await send('PATCH', `services/${service.id}/`, admin1, { description: 'Only exercises.' });
    expect(patched.json()).toEqual({ ...service, description: 'Only exercises.' });
    const replaced = await send('PUT', `services/${service.id}/`, admin2, { name: `${name} Plus` });
    expect(replaced.json()).toEqual({ id: service.id, name: `${name} Plus`, slug: `${service.slug}-plus`, description: '' });
    const slugged = await send('PATCH', `services/${service.id}`, admin1, { slug: 'physio-custom' });
    expect(slugged.json()).toMatchObject({ slug: 'physio-custom' });

    expect((await send('DELETE', `services/${service.id}/`, admin1)).statusCode).toBe(204);
    expectProblem(await send('GET', `services/${service.id}/`), 404, 'not_found');
    expectProblem(await send('DELETE', `services/${service.id}/`, admin1), 404, 'not_found');
    expectProblem(await send('PATCH', `services/${service.id}/`, admin1, { name: 'X' }), 404, 'not_found');
  });

  it('a duplicate name or slug is 409', async () => {
    const name = `Dup ${randomUUID().slice(0, 6)}`;
    const first = (await send('POST', 'services/', admin1, { name })).json<{ id: string; slug: string }>();
    expectProblem(await send('POST', 'services/', admin1, { name }), 409, 'conflict');
    expectProblem(await send('POST', 'services/', admin1, { name: name.toUpperCase() }), 409, 'conflict'); // same derived slug
    expectProblem(await send('POST', 'services/', admin1, { name: `${name} other`, slug: first.slug }), 409, 'conflict');
    const second = (await send('POST', 'services/', admin1, { name: `${name} two` })).json<{ id: string }>();
    expectProblem(await send('PATCH', `services/${second.id}/`, admin1, { name }), 409, 'conflict');
    expectProblem(await send('PUT', `services/${second.id}/`, admin1, { name: `${name} two`, slug: first.slug }), 409, 'conflict');
    // Concurrent creates of one name: one wins.
    const racer = `Race ${randomUUID().slice(0, 6)}`;
    const answers = await Promise.all(Array.from({ length: 4 }, () => send('POST', 'services/', admin1, { name: racer })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409]);
  });

  it('writes are for admins (403 patients and doctors, 401 anonymous); bad input is 400', async () => {
    const { id } = (await send('POST', 'services/', admin1, { name: `Roles ${randomUUID().slice(0, 6)}` })).json<{ id: string }>();
    for (const caller of [patient, doctor]) {
      expectProblem(await send('POST', 'services/', caller, { name: 'X' }), 403, 'forbidden');
      expectProblem(await send('PUT', `services/${id}/`, caller, { name: 'X' }), 403, 'forbidden');
      expectProblem(await send('PATCH', `services/${id}/`, caller, { name: 'X' }), 403, 'forbidden');
      expectProblem(await send('DELETE', `services/${id}/`, caller), 403, 'forbidden');
    }
    expectProblem(await send('POST', 'services/', undefined, { name: 'X' }), 401, 'unauthorized');
    expectProblem(await send('DELETE', `services/${id}/`), 401, 'unauthorized');
    expectFieldError(await send('POST', 'services/', admin1, { name: '' }), 'name');
    expectFieldError(await send('POST', 'services/', admin1, { name: 'A\u0000B' }), 'name');
    expectFieldError(await send('POST', 'services/', admin1, { name: 'Line\nbreak' }), 'name');
    expectFieldError(await send('POST', 'services/', admin1, { name: '!!!' }), 'slug');
    expectFieldError(await send('POST', 'services/', admin1, { name: 'Ok', slug: 'Not A Slug' }), 'slug');
    expectFieldError(await send('POST', 'services/', admin1, { name: 'Ok', id: randomUUID() }), 'id');
    expectFieldError(await send('POST', 'services/', admin1, { name: 'Ok', description: 'd'.repeat(2001) }), 'description');
    expectProblem(await send('GET', 'services/nope/'), 400, 'validation_failed');
    expectProblem(await send('GET', `services/${randomUUID()}/`), 404, 'not_found');
  });
});

describe('public lists', () => {
  it('list/doctor/ answers exactly what doctor/list/ answers, with links on its own path', async () => {
    const tag = `Portal${randomUUID().slice(0, 8)}`;
    for (const first of ['Ana', 'Bo', 'Cy']) await loginAs(t, 'doctor', { firstName: first, lastName: tag });
    for (const query of [`search=${tag}&pageSize=2`, `search=${tag}&pageSize=2&page=2&ordering=-fee`, 'ordering=rating', 'search=nobody-at-all']) {
      const mine = await t.app.inject({ method: 'GET', url: `${PORTAL}/list/doctor/?${query}` });
      const theirs = await t.app.inject({ method: 'GET', url: `${API}/doctor/list/?${query}` });
      expect(mine.statusCode).toBe(200);
      const strip = (body: Page<unknown>) => ({ ...body, next: body.next && new URL(body.next).search, previous: body.previous && new URL(body.previous).search });
      expect(strip(mine.json())).toEqual(strip(theirs.json()));
    }
    const page = (await t.app.inject({ method: 'GET', url: `${PORTAL}/list/doctor/?search=${tag}&pageSize=2` })).json<Page<unknown>>();
    expect(page.count).toBe(3);
    expect(new URL(page.next!).pathname).toBe('/v1/api/public-portal/list/doctor/');
    for (const query of ['page=0', 'ordering=bogus', 'search=a%00b', 'available=2030-02-30']) {
      expectProblem(await t.app.inject({ method: 'GET', url: `${PORTAL}/list/doctor/?${query}` }), 400, 'validation_failed');
    }
  });

  it('list/doctor/reviews/ shows the latest reviews across doctors, newest first, paged, without hidden doctors', async () => {
    const before = (await send('GET', 'list/doctor/reviews/')).json<Page<ReviewBody>>().count;
    const [d1, d2, hidden] = [await loginAs(t, 'doctor'), await loginAs(t, 'doctor'), await loginAs(t, 'doctor')];
    const reviewer = await reviewerOf(t, [d1.profileId, d2.profileId, hidden.profileId], { firstName: 'Lia' });
    const made: ReviewBody[] = [];
    for (const d of [d1, hidden, d2]) {
      t.clock.advance(60_000);
      made.push(await postReview(t, reviewer, { doctorId: d.profileId, rating: 4, comment: 'Good.' }));
    }
    await t.app.inject({ method: 'DELETE', url: `${API}/doctor/profile/me/`, headers: hidden.headers });
    const first = (await send('GET', 'list/doctor/reviews/?pageSize=1')).json<Page<ReviewBody>>();
    expect(first.results).toEqual([made[2]]);
    expect(first.count).toBe(before + 2);
    expect(new URL(first.next!).pathname).toBe('/v1/api/public-portal/list/doctor/reviews/');
    const second = (await send('GET', 'list/doctor/reviews/?pageSize=1&page=2')).json<Page<ReviewBody>>();
    expect(second.results).toEqual([made[0]]);
    expect(second.results[0]!.reviewer).toEqual({ firstName: 'Lia' });
    expectProblem(await send('GET', 'list/doctor/reviews/?pageSize=abc'), 400, 'validation_failed');
  });
});

describe('OpenAPI', () => {
  it('documents every reviews and portal route with its security', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>> }>();
    const operations = Object.entries(doc.paths).flatMap(([route, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route, method, operationId: operation.operationId, secured: (operation.security ?? []).length > 0 })),
    );
    const byId = new Map(operations.map((operation) => [operation.operationId, operation]));
    const expected: [string, string, boolean][] = [
      ['listReviews', 'get', false],
      ['createReview', 'post', true],
      ['getReview', 'get', false],
      ['replaceReview', 'put', true],
      ['updateReview', 'patch', true],
      ['deleteReview', 'delete', true],
      ['contactUs', 'post', false],
      ['listContactMessages', 'get', true],
      ['reportBug', 'post', false],
      ['listBugReports', 'get', true],
      ['listServices', 'get', false],
      ['createService', 'post', true],
      ['getService', 'get', false],
      ['replaceService', 'put', true],
      ['updateService', 'patch', true],
      ['deleteService', 'delete', true],
      ['listPortalDoctors', 'get', false],
      ['listLatestReviews', 'get', false],
    ];
    for (const [operationId, method, secured] of expected) {
      expect(byId.get(operationId), operationId).toMatchObject({ method, secured });
      expect(byId.get(operationId)!.route).toMatch(/^\/v1\/api\/(doctor\/reviews|public-portal\/)/);
    }
  });
});
