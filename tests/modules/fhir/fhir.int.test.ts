// The FHIR R4 read API (/fhir/R4/): every answer is application/fhir+json and valid R4 (checked on
// each request by the helpers), the CapabilityStatement lists exactly the routes, each resource is
// readable by exactly whom the REST API lets read it, searches page with total and next links, and
// every error is an OperationOutcome with the REST status.
import type { Appointment, Bundle, CapabilityStatement, Patient, Practitioner, PractitionerRole, Schedule } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { buildTestApp, useTestApp } from '../../helpers/app.ts';
import { createDesignation, createSpecialization, type CatalogueEntry } from '../../helpers/directory.ts';
import { expectOutcome, expectValidR4, fhirGet, fhirRead, fhirSearch, FHIR, idsOf, r4 } from '../../helpers/fhir.ts';
import { addDailyWindows, freeSlots, localDate } from '../../helpers/scheduling.ts';

const t = useTestApp();
const tag = Math.random().toString(36).slice(2, 8);
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;
let otherDoctor: Actor<'doctor'>;
let patient: Actor<'patient'>;
let otherPatient: Actor<'patient'>;
let cardio: CatalogueEntry;
let appointmentId: string;

const HOUR = 3_600_000;

async function createAppointment(doctorId: string, patientId: string, status: string, startsAt: Date, reason = '') {
  const row = await t.db.appointment.create({
    data: { doctorId, patientId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), status: status as 'completed', reason },
    select: { id: true },
  });
  return row.id;
}

beforeAll(async () => {
  r4(); // compiles the R4 schema once, up front (seconds)
  cardio = await createSpecialization(t.db, `Cardiology ${tag}`);
  const senior = await createDesignation(t.db, `Senior ${tag}`);
  admin = await loginAs(t, 'admin');
  doctor = await loginAs(t, 'doctor', { firstName: 'Gregory', lastName: `House${tag}`, specializationIds: [cardio.id], designationIds: [senior.id] });
  otherDoctor = await loginAs(t, 'doctor', { firstName: 'James', lastName: `Wilson${tag}` });
  patient = await loginAs(t, 'patient', { firstName: 'Pat', lastName: `One${tag}` });
  otherPatient = await loginAs(t, 'patient', { firstName: 'Quinn', lastName: `Two${tag}` });
  // A completed visit yesterday: `doctor` treats `patient` (API.md, "A doctor's patients").
  appointmentId = await createAppointment(doctor.profileId, patient.profileId, 'completed', new Date(Date.now() - 24 * HOUR), 'Chest pain');
}, 120_000);

describe('metadata', () => {
  it('is a public CapabilityStatement listing exactly the FHIR routes the OpenAPI document has', async () => {
    const statement = await fhirRead<CapabilityStatement>(t.app, 'metadata');
    expect(statement.fhirVersion).toBe('4.0.1');
    expect(statement.format).toContain('application/fhir+json');
    const listed = new Set(['/fhir/R4/metadata']);
    for (const resource of statement.rest![0]!.resource!) {
      const interactions = resource.interaction!.map((interaction) => interaction.code);
      if (interactions.includes('search-type')) listed.add(`${FHIR}/${resource.type}`);
      if (interactions.includes('read')) listed.add(`${FHIR}/${resource.type}/{id}`);
    }
    const document = (await t.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, { tags: string[] }>> }>();
    const documented = Object.entries(document.paths).filter(([path]) => path.startsWith(FHIR));
    expect(new Set(documented.map(([path]) => path))).toEqual(listed);
    for (const [, operations] of documented) expect(Object.values(operations).every((operation) => operation.tags.includes('fhir'))).toBe(true);
    // A type it does not list is not served.
    expectOutcome(await fhirGet(t.app, 'Observation'), 404, 'not-found');
  });
});

describe('every route answers valid R4', () => {
  it('walks each read and search, with and without what it needs', async () => {
    const today = localDate(0);
    const paths: [string, Record<string, string>][] = [
      ['metadata', {}],
      [`Practitioner/${doctor.profileId}`, {}],
      ['Practitioner', {}],
      [`Practitioner?name=House${tag}`, {}],
      [`PractitionerRole/${doctor.profileId}`, {}],
      [`PractitionerRole?specialty=${cardio.slug}`, {}],
      [`Patient/${patient.profileId}`, admin.headers],
      [`Patient?name=One${tag}`, admin.headers],
      [`Schedule/${doctor.profileId}`, {}],
      [`Schedule?actor=Practitioner/${doctor.profileId}`, {}],
      [`Slot?schedule=Schedule/${doctor.profileId}&start=ge${today}&start=lt${localDate(7)}&status=free`, {}],
      [`Appointment/${appointmentId}`, patient.headers],
      [`Appointment?patient=Patient/${patient.profileId}`, doctor.headers],
    ];
    for (const [path, headers] of paths) {
      const response = await fhirGet(t.app, path, headers);
      expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
    }
    // And their errors (fhirGet validates those OperationOutcomes too).
    for (const path of ['Patient/x', 'Appointment', `Slot?schedule=${doctor.profileId}`, 'Practitioner?given=x', 'Nothing/here']) {
      expect((await fhirGet(t.app, path)).statusCode, path).toBeGreaterThanOrEqual(400);
    }
  }, 60_000);

  it('the schema check itself refuses an invalid resource', () => {
    expect(() => expectValidR4({ resourceType: 'Slot', status: 'open' } as never)).toThrow();
  });
});

describe('Practitioner and PractitionerRole (public)', () => {
  it('reads a doctor with names and email; hidden, unknown and malformed ids are 404', async () => {
    const practitioner = await fhirRead<Practitioner>(t.app, `Practitioner/${doctor.profileId}`);
    expect(practitioner).toMatchObject({ id: doctor.profileId, name: [{ family: `House${tag}`, given: ['Gregory'] }] });
    expect(practitioner.telecom).toEqual([{ system: 'email', value: doctor.user.email, use: 'work' }]);
    const hidden = await loginAs(t, 'doctor', { deleted: true });
    expectOutcome(await fhirGet(t.app, `Practitioner/${hidden.profileId}`), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, 'Practitioner/00000000-0000-4000-8000-000000000000'), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, 'Practitioner/not-a-uuid'), 404, 'not-found');
  });

  it('searches by name', async () => {
    const bundle = await fhirSearch(t.app, `Practitioner?name=wilson${tag}`);
    expect(bundle.total).toBe(1);
    expect(idsOf(bundle)).toEqual([otherDoctor.profileId]);
    expect(bundle.entry![0]!.fullUrl).toBe(`http://localhost${FHIR}/Practitioner/${otherDoctor.profileId}`);
  });

  it('codes specialties and designations with our slugs, and searches by specialty', async () => {
    const role = await fhirRead<PractitionerRole>(t.app, `PractitionerRole/${doctor.profileId}`);
    expect(role.practitioner).toEqual({ reference: `Practitioner/${doctor.profileId}`, display: `Gregory House${tag}` });
    expect(role.specialty).toEqual([{ coding: [{ system: 'urn:clinic-api:specialization', code: cardio.slug, display: cardio.name }], text: cardio.name }]);
    expect(role.code![0]!.coding![0]!.system).toBe('urn:clinic-api:designation');
    for (const query of [cardio.slug, `urn:clinic-api:specialization|${cardio.slug}`]) {
      const bundle = await fhirSearch(t.app, `PractitionerRole?specialty=${encodeURIComponent(query)}`);
      expect(idsOf(bundle)).toEqual([doctor.profileId]);
    }
  });
});

describe('Patient', () => {
  it('is read by admins, the treating doctor and the patient; another doctor or patient gets 404, no token 401', async () => {
    for (const reader of [admin, doctor, patient]) {
      const resource = await fhirRead<Patient>(t.app, `Patient/${patient.profileId}`, reader.headers);
      expect(resource).toMatchObject({ id: patient.profileId, name: [{ family: `One${tag}`, given: ['Pat'] }], gender: 'unknown' });
    }
    expectOutcome(await fhirGet(t.app, `Patient/${patient.profileId}`, otherDoctor.headers), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, `Patient/${patient.profileId}`, otherPatient.headers), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, `Patient/${patient.profileId}`), 401, 'security');
    expectOutcome(await fhirGet(t.app, `Patient/${patient.profileId}`, { authorization: 'Bearer not-a-token' }), 401, 'security');
  });

  it('audits a read by someone else, as the REST read does', async () => {
    const before = await t.db.auditEvent.count({ where: { action: 'patient.read', subjectId: otherPatient.profileId } });
    await fhirRead(t.app, `Patient/${otherPatient.profileId}`, admin.headers);
    expect(await t.db.auditEvent.count({ where: { action: 'patient.read', subjectId: otherPatient.profileId } })).toBe(before + 1);
  });

  it('is searched by admins (name, exact email) and doctors (their patients only); patients get 403', async () => {
    expect(idsOf(await fhirSearch(t.app, `Patient?name=${tag}`, admin.headers)).sort()).toEqual([patient.profileId, otherPatient.profileId].sort());
    expect(idsOf(await fhirSearch(t.app, `Patient?email=${encodeURIComponent(otherPatient.user.email.toUpperCase())}`, admin.headers))).toEqual([otherPatient.profileId]);
    expect(idsOf(await fhirSearch(t.app, `Patient?email=${encodeURIComponent(otherPatient.user.email.slice(1))}`, admin.headers))).toEqual([]);
    expect(idsOf(await fhirSearch(t.app, `Patient?name=${tag}`, doctor.headers))).toEqual([patient.profileId]);
    expect(idsOf(await fhirSearch(t.app, `Patient?name=${tag}`, otherDoctor.headers))).toEqual([]);
    expectOutcome(await fhirGet(t.app, 'Patient', patient.headers), 403, 'forbidden');
    expectOutcome(await fhirGet(t.app, 'Patient', otherPatient.headers), 403, 'forbidden');
    expectOutcome(await fhirGet(t.app, 'Patient'), 401, 'security');
  });
});

describe('Schedule (public)', () => {
  it('has one per doctor, found by actor; an unknown actor finds none', async () => {
    const schedule = await fhirRead<Schedule>(t.app, `Schedule/${doctor.profileId}`);
    expect(schedule).toMatchObject({ id: doctor.profileId, active: true, actor: [{ reference: `Practitioner/${doctor.profileId}` }] });
    for (const actor of [`Practitioner/${doctor.profileId}`, doctor.profileId]) {
      expect(idsOf(await fhirSearch(t.app, `Schedule?actor=${actor}`))).toEqual([doctor.profileId]);
    }
    const none = await fhirSearch(t.app, 'Schedule?actor=Practitioner/00000000-0000-4000-8000-000000000000');
    expect(none.total).toBe(0);
    expect(none.entry).toBeUndefined();
    expectOutcome(await fhirGet(t.app, 'Schedule?actor=Patient/x'), 400, 'invalid');
  });
});

describe('Slot (public)', () => {
  const zone = 'America/New_York';
  let scheduled: Actor<'doctor'>;

  beforeAll(async () => {
    scheduled = await loginAs(t, 'doctor', { timezone: zone });
    await addDailyWindows(t.db, scheduled.profileId, '09:00', '12:00', 30);
    // A booked visit takes its slot out of both answers.
    const booked = DateTime.fromISO(`${localDate(2, zone)}T10:00`, { zone }).toJSDate();
    await createAppointment(scheduled.profileId, (await loginAs(t, 'patient')).profileId, 'confirmed', booked);
  });

  async function slotStarts(query: string): Promise<string[]> {
    const starts: string[] = [];
    let url: string | undefined = `Slot?schedule=Schedule/${scheduled.profileId}&${query}&_count=100`;
    while (url) {
      const bundle: Bundle = await fhirSearch(t.app, url);
      for (const entry of bundle.entry ?? []) {
        expect(entry.resource).toMatchObject({ resourceType: 'Slot', status: 'free', schedule: { reference: `Schedule/${scheduled.profileId}` } });
        starts.push((entry.resource as { start: string }).start);
      }
      const next = bundle.link?.find((link) => link.relation === 'next')?.url;
      url = next ? next.slice(next.indexOf(`${FHIR}/`) + FHIR.length + 1) : undefined;
    }
    return starts;
  }

  it('answers the same instants as doctor/available-times-patient/ for the same doctor and range', async () => {
    const from = localDate(1, zone);
    const to = localDate(20, zone);
    const rest = await freeSlots(t, scheduled.profileId, from, to, {});
    expect(rest.length).toBeGreaterThan(100);
    const after = DateTime.fromISO(to).plus({ days: 1 }).toISODate();
    expect(await slotStarts(`start=ge${from}&start=lt${after}&status=free`)).toEqual(rest.map((slot) => slot.startsAt));
    // Instant bounds cut the same list exactly.
    const ge = rest[10]!.startsAt;
    const lt = rest[40]!.startsAt;
    expect(await slotStarts(`start=ge${ge}&start=lt${lt}`)).toEqual(rest.slice(10, 40).map((slot) => slot.startsAt));
  }, 60_000);

  it('pages with total and next links', async () => {
    const from = localDate(1, zone);
    const bundle = await fhirSearch(t.app, `Slot?schedule=Schedule/${scheduled.profileId}&start=ge${from}&start=lt${localDate(3, zone)}&_count=4`);
    expect(bundle.total).toBe(6 * 2 - 1);
    expect(bundle.entry).toHaveLength(4);
    const next = new URL(bundle.link!.find((link) => link.relation === 'next')!.url);
    expect(next.searchParams.get('_page')).toBe('2');
    expect(next.searchParams.getAll('start')).toEqual([`ge${from}`, `lt${localDate(3, zone)}`]);
    const last = await fhirSearch(t.app, `Slot?schedule=Schedule/${scheduled.profileId}&start=ge${from}&start=lt${localDate(3, zone)}&_count=4&_page=3`);
    expect(last.entry).toHaveLength(3);
    expect(last.link!.map((link) => link.relation)).toEqual(['self']);
  });

  it('lists no busy slots, and refuses missing, reversed or over-31-day bounds and unknown schedules', async () => {
    const from = localDate(1, zone);
    expect((await fhirSearch(t.app, `Slot?schedule=Schedule/${scheduled.profileId}&start=ge${from}&start=lt${localDate(3, zone)}&status=busy`)).total).toBe(0);
    for (const bounds of [`start=ge${from}`, `start=lt${from}`, `start=ge${localDate(3, zone)}&start=lt${from}`, `start=ge${from}&start=lt${localDate(33, zone)}`, `start=gt${from}&start=lt${localDate(3, zone)}`]) {
      expectOutcome(await fhirGet(t.app, `Slot?schedule=Schedule/${scheduled.profileId}&${bounds}`), 400, 'invalid');
    }
    expectOutcome(await fhirGet(t.app, `Slot?schedule=Schedule/00000000-0000-4000-8000-000000000000&start=ge${from}&start=lt${localDate(3, zone)}`), 404, 'not-found');
  });
});

describe('Appointment', () => {
  it('is read by its patient, its doctor and admins; the other patient and doctor get 404', async () => {
    for (const reader of [patient, doctor, admin]) {
      const appointment = await fhirRead<Appointment>(t.app, `Appointment/${appointmentId}`, reader.headers);
      expect(appointment).toMatchObject({ id: appointmentId, status: 'fulfilled', reasonCode: [{ text: 'Chest pain' }] });
      expect(appointment.participant.map((participant) => participant.actor?.reference)).toEqual([`Patient/${patient.profileId}`, `Practitioner/${doctor.profileId}`]);
    }
    expectOutcome(await fhirGet(t.app, `Appointment/${appointmentId}`, otherPatient.headers), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, `Appointment/${appointmentId}`, otherDoctor.headers), 404, 'not-found');
    expectOutcome(await fhirGet(t.app, `Appointment/${appointmentId}`), 401, 'security');
  });

  it('maps every status as API.md says', async () => {
    const mapping: Record<string, string> = {
      requested: 'proposed',
      pending: 'pending',
      confirmed: 'booked',
      completed: 'fulfilled',
      no_show: 'noshow',
      cancelled: 'cancelled',
      rejected: 'cancelled',
      rescheduled: 'cancelled',
    };
    const pair = { doctor: await loginAs(t, 'doctor'), patient: await loginAs(t, 'patient') };
    let hours = 48;
    for (const [ours, theirs] of Object.entries(mapping)) {
      hours += 1;
      const id = await createAppointment(pair.doctor.profileId, pair.patient.profileId, ours, new Date(Date.now() + hours * HOUR));
      expect((await fhirRead<Appointment>(t.app, `Appointment/${id}`, pair.patient.headers)).status, ours).toBe(theirs);
    }
  });

  it('is searched within what the caller may read, by patient, practitioner and date', async () => {
    const later = await createAppointment(otherDoctor.profileId, patient.profileId, 'confirmed', new Date(Date.now() + 5 * 24 * HOUR));
    const strangers = await createAppointment(otherDoctor.profileId, otherPatient.profileId, 'confirmed', new Date(Date.now() + 6 * 24 * HOUR));
    expect(idsOf(await fhirSearch(t.app, 'Appointment', patient.headers))).toEqual([appointmentId, later]);
    expect(idsOf(await fhirSearch(t.app, 'Appointment', otherPatient.headers))).toEqual([strangers]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?practitioner=Practitioner/${otherDoctor.profileId}`, patient.headers))).toEqual([later]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?patient=${patient.profileId}`, otherDoctor.headers))).toEqual([later]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?patient=Patient/${otherPatient.profileId}`, doctor.headers))).toEqual([]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?patient=Patient/${patient.profileId}&practitioner=${doctor.profileId}`, admin.headers))).toEqual([appointmentId]);
    const today = localDate(0);
    expect(idsOf(await fhirSearch(t.app, `Appointment?date=ge${today}`, patient.headers))).toEqual([later]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?date=lt${today}`, patient.headers))).toEqual([appointmentId]);
    expect(idsOf(await fhirSearch(t.app, `Appointment?date=${localDate(-1)}`, patient.headers))).toEqual([appointmentId]);
    const page = await fhirSearch(t.app, 'Appointment?_count=1', patient.headers);
    expect(page.total).toBe(2);
    expect(page.link!.find((link) => link.relation === 'next')!.url).toContain('_page=2');
  });
});

describe('errors are OperationOutcomes with the REST status', () => {
  it('refuses unknown parameters and _count outside 1..100 (strict handling)', async () => {
    const unknown = expectOutcome(await fhirGet(t.app, 'Practitioner?family=House'), 400, 'invalid');
    expect(unknown.issue[0]!.diagnostics).toContain('family');
    expect(unknown.issue[0]!.details!.coding![0]!.code).toBe('validation_failed');
    for (const count of ['0', '101', 'x']) expectOutcome(await fhirGet(t.app, `Practitioner?_count=${count}`), 400, 'invalid');
    expect((await fhirSearch(t.app, 'Practitioner?_count=100')).link![0]!.relation).toBe('self');
    expectOutcome(await fhirGet(t.app, 'Appointment?date=2026-13-40', patient.headers), 400, 'invalid');
    expectOutcome(await fhirGet(t.app, 'Practitioner?name=a%00b'), 400, 'invalid');
  });

  it('answers an unknown path under /fhir/R4/ 404 and a wrong method 405, as OperationOutcomes', async () => {
    expectOutcome(await fhirGet(t.app, 'Practitioner/x/y'), 404, 'not-found');
    const wrongMethod = await t.app.inject({ method: 'DELETE', url: `${FHIR}/Practitioner/${doctor.profileId}` });
    expect(wrongMethod.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    expectOutcome(wrongMethod, 405, 'not-supported');
    // Outside /fhir/R4/ the REST API's problem+json stays.
    expect((await t.app.inject({ url: '/v1/api/nothing/' })).headers['content-type']).toContain('application/problem+json');
  });

  it('answers what the router refuses before any route (a malformed URL, an id over its length) as OperationOutcomes', async () => {
    expectOutcome(await fhirGet(t.app, 'Practitioner/%zz'), 400, 'invalid');
    expectOutcome(await fhirGet(t.app, `Practitioner/${'a'.repeat(101)}`), 404, 'not-found');
    // The REST API's own answers to them stay problem+json.
    expect((await t.app.inject({ url: `/v1/api/doctor/${'a'.repeat(101)}/` })).headers['content-type']).toContain('application/problem+json');
  });

  it('rate limits with 429 throttled and Retry-After', async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_ENABLED: 'true' } });
    try {
      let response = await limited.app.inject({ url: `${FHIR}/metadata` });
      for (let i = 0; i < 300 && response.statusCode === 200; i += 1) response = await limited.app.inject({ url: `${FHIR}/metadata` });
      expect(response.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
      expectOutcome(response, 429, 'throttled');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expectValidR4(response.json());
    } finally {
      await limited.close();
    }
  }, 60_000);
});
