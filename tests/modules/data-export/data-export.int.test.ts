// Self-service data export: user/me/export/ queues a job that builds one JSON document of the
// caller's data (and nothing of anyone else's), served to its owner only for 24 h, mailed, one a
// day (a product rule: 429 with rate limits off), audited.
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectProblem } from '../../helpers/http.ts';
import { bookForPatient, createAppointment, type Appointment } from '../../helpers/scheduling.ts';
import { waitUntil } from '../../helpers/wait.ts';

interface ExportView {
  id: string;
  status: string;
  downloadUrl: string | null;
  expiresAt: string | null;
}

const DAY_MS = 86_400_000;
const t = useTestApp();
const http = () => client(t.app);
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;
let alice: Actor<'patient'>;
let bob: Actor<'patient'>;
let alicesAppointment: Appointment;
let bobsAppointment: Appointment;

beforeAll(async () => {
  admin = await loginAs(t, 'admin');
  doctor = await loginAs(t, 'doctor');
  alice = await loginAs(t, 'patient', { firstName: 'Alice', lastName: 'Liddell' });
  bob = await loginAs(t, 'patient', { firstName: 'Bob', lastName: 'Builder' });
  await t.db.patient.update({ where: { id: alice.profileId }, data: { address: 'Alice street 1' } });
  await t.db.patient.update({ where: { id: bob.profileId }, data: { address: 'Bob lane 2' } });
  await createAppointment(t.db, doctor.profileId, alice.profileId);
  await createAppointment(t.db, doctor.profileId, bob.profileId);
  const book = async (patient: Actor<'patient'>, days: number) =>
    (await bookForPatient(t, doctor, { patientId: patient.profileId, startsAt: new Date(Date.now() + days * DAY_MS).toISOString(), reason: `for ${patient.user.email}` })).json<Appointment>();
  alicesAppointment = await book(alice, 3);
  bobsAppointment = await book(bob, 4);
  expect((await http().get(`patient/patients/${alice.user.email}/`, { headers: doctor.headers })).statusCode).toBe(200);
});

async function exportOf(caller: Actor, id: string): Promise<ExportView> {
  const response = await http().get(`user/me/export/${id}/`, { headers: caller.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ExportView>();
}

async function readyExport(caller: Actor): Promise<ExportView> {
  const requested = await http().post('user/me/export/', {}, { headers: caller.headers });
  expect(requested.statusCode, requested.body).toBe(202);
  const { id, status } = requested.json<{ id: string; status: string }>();
  expect(status).toBe('queued');
  await waitUntil('the export is ready', async () => (await exportOf(caller, id)).status === 'ready', { timeoutMs: 30_000 });
  return exportOf(caller, id);
}

const mediaPath = (url: string) => new URL(url, 'http://localhost').pathname;

describe('user/me/export/', () => {
  let alicesExport: ExportView;
  let document: string;

  beforeAll(async () => {
    const preferences = { email: true, sms: false, reminderHours: [2, 48], loginCodeChannel: 'email' };
    expect((await http().put('user/me/notifications/', preferences, { headers: alice.headers })).statusCode).toBe(200);
    alicesExport = await readyExport(alice);
  });

  it('builds one JSON document of the caller’s data, served from media/{id} for 24 h and mailed', async () => {
    expect(alicesExport.downloadUrl).toMatch(/\/v1\/api\/media\/[0-9a-f-]{36}$/);
    expect(Date.parse(alicesExport.expiresAt!) - Date.now()).toBeGreaterThan(DAY_MS - 60_000);
    const file = await t.app.inject({ method: 'GET', url: mediaPath(alicesExport.downloadUrl!), headers: alice.headers });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('application/json');
    document = file.body;
    const data = JSON.parse(document) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(
      expect.arrayContaining(['account', 'notificationSettings', 'sessions', 'patient', 'doctor', 'appointments', 'reviews', 'doctorApplications', 'files', 'auditEvents']),
    );
    expect(data).toMatchObject({
      account: { id: alice.user.id, email: alice.user.email, firstName: 'Alice' },
      notificationSettings: { email: true, sms: false, reminderHours: [2, 48], loginCodeChannel: 'email' },
      patient: { id: alice.profileId, address: 'Alice street 1' },
      doctor: null,
    });
    const appointments = (data.appointments as { asPatient: { id: string; statusHistory: unknown[] }[] }).asPatient;
    expect(appointments.map((a) => a.id)).toContain(alicesAppointment.id);
    expect(appointments.find((a) => a.id === alicesAppointment.id)!.statusHistory).toHaveLength(1);
    const actions = (data.auditEvents as { action: string }[]).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['login.success', 'patient.read', 'appointment.create', 'data_export.request']));
    const mail = await t.mail.waitFor((message) => message.to === alice.user.email && message.subject.includes('data export'));
    expect(mail.text).toContain(alicesExport.downloadUrl);
  });

  it('holds nothing of another user', () => {
    for (const foreign of [bob.user.email, bob.user.id, bob.profileId, bobsAppointment.id, 'Bob lane 2', 'Builder', admin.user.email, doctor.user.email]) {
      expect(document).not.toContain(foreign);
    }
  });

  it('the link and the export refuse everyone else: 404 to another patient, an admin, the doctor and the anonymous', async () => {
    const path = mediaPath(alicesExport.downloadUrl!);
    for (const other of [bob, admin, doctor]) {
      expectProblem(await t.app.inject({ method: 'GET', url: path, headers: other.headers }), 404, 'not_found');
      expectProblem(await http().get(`user/me/export/${alicesExport.id}/`, { headers: other.headers }), 404, 'not_found');
    }
    expectProblem(await t.app.inject({ method: 'GET', url: path }), 404, 'not_found');
  });

  it('a second request the same day answers 429 rate_limited with Retry-After, with rate limits off', async () => {
    const again = await http().post('user/me/export/', {}, { headers: alice.headers });
    expectProblem(again, 429, 'rate_limited');
    const retryAfter = Number(again.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY_MS / 1000 - 120);
    expect(retryAfter).toBeLessThanOrEqual(DAY_MS / 1000);
    expect(await t.db.dataExport.count({ where: { userId: alice.user.id } })).toBe(1);
  });

  it('is audited: the request and the delivery, with Alice as actor and subject', async () => {
    const events = await t.db.auditEvent.findMany({ where: { subjectId: alicesExport.id }, orderBy: { seq: 'asc' }, select: { action: true, actorId: true, subjectUserId: true } });
    expect(events).toEqual([
      { action: 'data_export.request', actorId: alice.user.id, subjectUserId: alice.user.id },
      { action: 'data_export.ready', actorId: alice.user.id, subjectUserId: alice.user.id },
    ]);
  });

  it('after 24 h the link stops working and the export shows no link; a new export may be asked for', async () => {
    t.clock.advance(DAY_MS + 60_000);
    try {
      const later = { ...alice, headers: bearer(await login(t.app, alice.user)) }; // the old access token expired meanwhile
      expectProblem(await t.app.inject({ method: 'GET', url: mediaPath(alicesExport.downloadUrl!), headers: later.headers }), 404, 'not_found');
      expect(await exportOf(later, alicesExport.id)).toMatchObject({ status: 'ready', downloadUrl: null });
      expect((await http().post('user/me/export/', {}, { headers: later.headers })).statusCode).toBe(202);
    } finally {
      t.clock.reset();
    }
  });

  it('an unknown or malformed id answers 404 or 400; no token 401', async () => {
    expectProblem(await http().get(`user/me/export/${bobsAppointment.id}/`, { headers: alice.headers }), 404, 'not_found');
    expectProblem(await http().get('user/me/export/nope/', { headers: alice.headers }), 400, 'validation_failed');
    expectProblem(await http().post('user/me/export/', {}), 401, 'unauthorized');
  });
});
