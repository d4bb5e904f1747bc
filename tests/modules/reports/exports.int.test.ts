// CSV exports (operations/exports/): a job streams appointments or patients into a CSV file
// (RFC 4180, header row, exact columns, formula-safe cells) served to its requester only for 24 h,
// mailed and audited; doctors export their own appointments only; one export per requester at a time.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createPatient, login, loginAs, type Actor, type Member } from '../../helpers/actors.ts';
import { buildTestApp, useTestApp, type TestApp } from '../../helpers/app.ts';
import { client, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { drainJobs, waitUntil } from '../../helpers/wait.ts';

interface ExportView {
  id: string;
  kind: string;
  status: string;
  rowCount: number | null;
  downloadUrl: string | null;
  expiresAt: string | null;
}

const APPOINTMENT_COLUMNS = [
  'id', 'startsAt', 'endsAt', 'status', 'type', 'doctorId', 'doctorFirstName', 'doctorLastName',
  'patientId', 'patientFirstName', 'patientLastName', 'reason', 'createdAt',
];
const PATIENT_COLUMNS = ['id', 'email', 'firstName', 'lastName', 'phone', 'gender', 'dateOfBirth', 'createdAt'];
const DAY_MS = 86_400_000;

const t = useTestApp();
const http = () => client(t.app);
let admin: Actor<'admin'>;
let otherAdmin: Actor<'admin'>;
let drWho: Actor<'doctor'>;
let drNo: Actor<'doctor'>;
let eve: Member;
let sam: Member;
let erased: Member;
/** The CSV row each appointment must export as, by name. */
const appointmentLines: Record<string, string[]> = {};

beforeAll(async () => {
  admin = await loginAs(t, 'admin');
  otherAdmin = await loginAs(t, 'admin');
  drWho = await loginAs(t, 'doctor', { firstName: 'Who', lastName: '+Plus' });
  drNo = await loginAs(t, 'doctor', { firstName: 'No', lastName: 'Julius' });
  // Patients whose names a spreadsheet would run as formulas.
  eve = await createPatient(t.db, { firstName: '=1+2', lastName: '@SUM(A1)' });
  await t.db.patient.update({ where: { id: eve.profileId }, data: { phone: '+15551234567', gender: 'female', dateOfBirth: new Date('1990-02-03T00:00:00Z') } });
  sam = await createPatient(t.db, { firstName: 'Sam', lastName: 'Smith, Jr.' });
  erased = await createPatient(t.db, { firstName: 'Gone', lastName: 'Away' });
  await t.db.user.update({ where: { id: erased.user.id }, data: { deletedAt: new Date() } });

  const names = { [drWho.profileId]: ['Who', '+Plus'], [drNo.profileId]: ['No', 'Julius'], [eve.profileId]: ['=1+2', '@SUM(A1)'], [sam.profileId]: ['Sam', 'Smith, Jr.'] };
  const add = async (name: string, doctor: Actor<'doctor'>, patient: Member, startsAt: string, status: 'completed' | 'confirmed' | 'cancelled', reason: string, type: 'in_person' | 'online' = 'in_person') => {
    const endsAt = new Date(Date.parse(startsAt) + 30 * 60_000);
    const row = await t.db.appointment.create({
      data: { doctorId: doctor.profileId, patientId: patient.profileId, startsAt: new Date(startsAt), endsAt, status, reason, type },
      select: { id: true, createdAt: true },
    });
    appointmentLines[name] = [
      row.id, new Date(startsAt).toISOString(), endsAt.toISOString(), status, type, doctor.profileId, ...names[doctor.profileId]!.map(safe),
      patient.profileId, ...names[patient.profileId]!.map(safe), safe(reason), row.createdAt.toISOString(),
    ];
  };
  await add('first', drWho, eve, '2026-03-01T10:00:00Z', 'completed', '-10 dollars');
  await add('second', drNo, eve, '2026-03-01T12:00:00Z', 'cancelled', '\tTabbed');
  await add('third', drWho, sam, '2026-03-02T10:00:00Z', 'confirmed', 'Line one\r\nline "two", three', 'online');
  await add('later', drNo, sam, '2026-04-05T10:00:00Z', 'completed', '\rCarriage');
});

/** What the CSV must hold for a cell written as `text`. */
function safe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

async function exportOf(caller: Actor, id: string): Promise<ExportView> {
  const response = await http().get(`operations/exports/${id}/`, { headers: caller.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ExportView>();
}

async function readyExport(caller: Actor, body: Record<string, unknown>): Promise<ExportView> {
  const requested = await http().post('operations/exports/', body, { headers: caller.headers });
  expect(requested.statusCode, requested.body).toBe(202);
  const { id, status } = requested.json<{ id: string; status: string }>();
  expect(status).toBe('queued');
  await waitUntil('the export is ready', async () => (await exportOf(caller, id)).status === 'ready', { timeoutMs: 30_000 });
  return exportOf(caller, id);
}

const mediaPath = (url: string) => new URL(url, 'http://localhost').pathname;

async function download(caller: Actor, view: ExportView): Promise<string> {
  const file = await t.app.inject({ method: 'GET', url: mediaPath(view.downloadUrl!), headers: caller.headers });
  expect(file.statusCode).toBe(200);
  expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
  return file.body;
}

const parseCsv = (text: string): string[][] => parse(text);

describe('operations/exports/ of appointments by an admin', () => {
  let view: ExportView;
  let text: string;

  beforeAll(async () => {
    view = await readyExport(admin, { kind: 'appointments', from: '2026-03-01', to: '2026-03-31', format: 'csv' });
    text = await download(admin, view);
  });

  it('holds the range’s appointments, in startsAt order, with the columns of the contract, formula-safe', () => {
    expect(view).toMatchObject({ kind: 'appointments', status: 'ready', rowCount: 3 });
    expect(Date.parse(view.expiresAt!) - Date.now()).toBeGreaterThan(DAY_MS - 60_000);
    expect(parseCsv(text)).toEqual([APPOINTMENT_COLUMNS, appointmentLines.first, appointmentLines.second, appointmentLines.third]);
  });

  it('is RFC 4180: CRLF records, quoted fields where needed, a formula prefixed with a quote', () => {
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(APPOINTMENT_COLUMNS.join(','));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain(`,"Line one\r\nline ""two"", three",`);
    expect(text).toContain(`,'=1+2,'@SUM(A1),'-10 dollars,`);
    expect(text).toContain(`,'\tTabbed,`);
  });

  it('is served to its requester only: another admin and a doctor get 404 for the export and the file', async () => {
    for (const other of [otherAdmin, drWho]) {
      expectProblem(await http().get(`operations/exports/${view.id}/`, { headers: other.headers }), 404, 'not_found');
      expectProblem(await t.app.inject({ method: 'GET', url: mediaPath(view.downloadUrl!), headers: other.headers }), 404, 'not_found');
    }
    expectProblem(await t.app.inject({ method: 'GET', url: mediaPath(view.downloadUrl!) }), 404, 'not_found');
  });

  it('mails the link to the requester', async () => {
    const mail = await t.mail.waitFor((message) => message.to === admin.user.email && message.subject.includes('appointments export is ready'));
    expect(mail.text).toContain(view.downloadUrl);
  });

  it('is audited: the request and the delivery, with the admin as actor', async () => {
    const events = await t.db.auditEvent.findMany({ where: { subjectId: view.id }, orderBy: { seq: 'asc' }, select: { action: true, actorId: true, subjectType: true } });
    expect(events).toEqual([
      { action: 'report_export.request', actorId: admin.user.id, subjectType: 'report_export' },
      { action: 'report_export.ready', actorId: admin.user.id, subjectType: 'report_export' },
    ]);
  });

  it('stops serving the file after 24 h', async () => {
    t.clock.advance(DAY_MS + 60_000);
    try {
      const headers = bearer(await login(t.app, admin.user)); // the old access token expired meanwhile
      expectProblem(await t.app.inject({ method: 'GET', url: mediaPath(view.downloadUrl!), headers }), 404, 'not_found');
      expect(await exportOf({ ...admin, headers }, view.id)).toMatchObject({ status: 'ready', downloadUrl: null });
    } finally {
      t.clock.reset();
    }
  });
});

describe('operations/exports/ of patients', () => {
  it('an admin gets every patient but erased accounts, oldest first, with the columns of the contract', async () => {
    const view = await readyExport(admin, { kind: 'patients', format: 'csv' });
    const rows = parseCsv(await download(admin, view));
    const created = async (member: Member) => (await t.db.patient.findUniqueOrThrow({ where: { id: member.profileId } })).createdAt.toISOString();
    expect(rows).toEqual([
      PATIENT_COLUMNS,
      [eve.profileId, eve.user.email, "'=1+2", "'@SUM(A1)", "'+15551234567", 'female', '1990-02-03', await created(eve)],
      [sam.profileId, sam.user.email, 'Sam', 'Smith, Jr.', '', 'unknown', '', await created(sam)],
    ]);
    expect(view.rowCount).toBe(2);
  });

  it('a doctor may not export patients (403); bad bodies are 400', async () => {
    expectProblem(await http().post('operations/exports/', { kind: 'patients', format: 'csv' }, { headers: drWho.headers }), 403, 'forbidden');
    const ask = (body: Record<string, unknown>) => http().post('operations/exports/', body, { headers: admin.headers });
    expectFieldError(await ask({ kind: 'appointments', format: 'xlsx' }), 'format');
    expectFieldError(await ask({ kind: 'reviews', format: 'csv' }), 'kind');
    expectFieldError(await ask({ kind: 'appointments', format: 'csv', doctorId: drWho.profileId }), 'doctorId');
    expectFieldError(await ask({ kind: 'appointments', format: 'csv', from: '2026-03-02', to: '2026-03-01' }), 'body.to');
  });
});

describe('operations/exports/ by a doctor', () => {
  it('holds the doctor’s own appointments only, and is theirs alone', async () => {
    const view = await readyExport(drWho, { kind: 'appointments', format: 'csv' });
    expect(parseCsv(await download(drWho, view))).toEqual([APPOINTMENT_COLUMNS, appointmentLines.first, appointmentLines.third]);
    expectProblem(await http().get(`operations/exports/${view.id}/`, { headers: drNo.headers }), 404, 'not_found');
    expectProblem(await http().get(`operations/exports/${view.id}/`, { headers: admin.headers }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: mediaPath(view.downloadUrl!), headers: admin.headers }), 404, 'not_found');
  });

  it('patients may not export (403)', async () => {
    const patient = await loginAs(t, 'patient');
    expectProblem(await http().post('operations/exports/', { kind: 'appointments', format: 'csv' }, { headers: patient.headers }), 403, 'forbidden');
  });
});

describe('one export per requester at a time', () => {
  // No worker: an export stays queued until a test starts one.
  const api = useTestApp({ env: { WORKER_ENABLED: 'false' } });
  const ask = (caller: Actor, kind = 'appointments') => client(api.app).post('operations/exports/', { kind, format: 'csv' }, { headers: caller.headers });
  const exportsOf = (caller: Actor) => api.db.reportExport.count({ where: { requesterId: caller.user.id } });
  const exportJobs = async () => {
    const [row] = await api.db.$queryRaw<{ jobs: number }[]>`SELECT count(*)::int AS jobs FROM pgboss.job WHERE name = 'reports.csv-export'`;
    return row!.jobs;
  };
  let drOne: Actor<'doctor'>;
  let drTwo: Actor<'doctor'>;

  beforeAll(async () => {
    drOne = await loginAs(api, 'doctor');
    drTwo = await loginAs(api, 'doctor');
  });

  it('a second request while the first is queued answers 422 limit_reached and queues nothing', async () => {
    expect((await ask(drOne)).statusCode).toBe(202);
    const jobs = await exportJobs();
    expectProblem(await ask(drOne), 422, 'limit_reached');
    expect(await exportsOf(drOne)).toBe(1);
    expect(await exportJobs()).toBe(jobs);
  });

  it('holds back its requester only: another doctor’s export is queued', async () => {
    expect((await ask(drTwo)).statusCode).toBe(202);
    expect(await exportsOf(drTwo)).toBe(1);
  });

  it('caps an admin too', async () => {
    const capped = await loginAs(api, 'admin');
    expect((await ask(capped, 'patients')).statusCode).toBe(202);
    expectProblem(await ask(capped, 'appointments'), 422, 'limit_reached');
    expect(await exportsOf(capped)).toBe(1);
  });

  it('of concurrent requests by one requester, exactly one is queued', async () => {
    const racer = await loginAs(api, 'doctor');
    const answers = await Promise.all(Array.from({ length: 6 }, () => ask(racer)));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([202, 422, 422, 422, 422, 422]);
    expect(await exportsOf(racer)).toBe(1);
  });

  it('a failed export does not count', async () => {
    const unlucky = await loginAs(api, 'doctor');
    const first = await ask(unlucky);
    expect(first.statusCode).toBe(202);
    // As the job leaves an export it could not build.
    await api.db.reportExport.update({ where: { id: first.json<{ id: string }>().id }, data: { status: 'failed' } });
    expect((await ask(unlucky)).statusCode).toBe(202);
  });

  it('an export still queued after its job could have lived (lost with a crashing worker) does not count', async () => {
    const stuck = await loginAs(api, 'doctor');
    const first = await ask(stuck);
    expect(first.statusCode).toBe(202);
    expect((await ask(stuck)).statusCode).toBe(422);
    await api.db.reportExport.update({ where: { id: first.json<{ id: string }>().id }, data: { createdAt: new Date(Date.now() - 9 * 3600 * 1000) } });
    expect((await ask(stuck)).statusCode).toBe(202);
  });

  it('once a worker has built the export, its requester may ask for another', async () => {
    let worker: TestApp | undefined;
    try {
      worker = await buildTestApp({ databaseUrl: api.config.database.url, env: { SECRET_KEY: api.config.secretKey, MEDIA_ROOT: api.mediaRoot } });
      await drainJobs(worker, { timeoutMs: 30_000 });
    } finally {
      await worker?.close();
    }
    const [built] = await api.db.reportExport.findMany({ where: { requesterId: drOne.user.id }, select: { status: true } });
    expect(built).toEqual({ status: 'ready' });
    expect((await ask(drOne)).statusCode).toBe(202);
  });
});

describe('an export whose file cannot be stored', () => {
  // Media under a regular file: storing fails before it reads a line of the export.
  const notAFolder = path.join(tmpdir(), `clinic-not-a-folder-${randomUUID()}`);
  const broken = useTestApp(() => {
    writeFileSync(notAFolder, '');
    return { env: { MEDIA_ROOT: notAFolder } };
  });
  afterAll(() => rm(notAFolder, { force: true }));
  const exportSessions = async () => {
    const [row] = await broken.db.$queryRaw<{ sessions: number }[]>`
      SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'clinic-csv-export'`;
    return row!.sessions;
  };

  it('is marked failed, and the connection of its cursor is closed', async () => {
    // More lines than the stream buffers, so an unread export would keep its cursor open.
    const doctor = await loginAs(broken, 'doctor');
    const patient = await createPatient(broken.db);
    const first = Date.parse('2025-01-01T08:00:00Z');
    await broken.db.appointment.createMany({
      data: Array.from({ length: 3_000 }, (_, i) => ({
        doctorId: doctor.profileId,
        patientId: patient.profileId,
        startsAt: new Date(first + i * 3_600_000),
        endsAt: new Date(first + i * 3_600_000 + 1_800_000),
        status: 'completed' as const,
        reason: `Visit ${i}`,
      })),
    });
    const requested = await client(broken.app).post('operations/exports/', { kind: 'appointments', format: 'csv' }, { headers: doctor.headers });
    expect(requested.statusCode, requested.body).toBe(202);
    const { id } = requested.json<{ id: string }>();
    const status = async () => (await broken.db.reportExport.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
    await waitUntil('the export failed', async () => (await status()) === 'failed', { timeoutMs: 30_000 });
    await waitUntil('the export’s connection is closed', async () => (await exportSessions()) === 0);
  });
});
