// The FHIR R4 reads and searches: each one calls the owning module's public function, so the
// visibility rules are the REST API's own, and maps its answer to R4 resources.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import type { Actor, ServiceContext } from '../../lib/context.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { getDoctor, listDoctors } from '../doctors/index.ts';
import { getPatient, listPatients } from '../patients/index.ts';
import { freeSlotsOf, getAppointment, MAX_RANGE_DAYS, searchAppointments } from '../scheduling/index.ts';
import { invalidSearch } from './fhir.errors.ts';
import {
  capabilityStatement,
  toAppointment,
  toBundle,
  toPatient,
  toPractitioner,
  toPractitionerRole,
  toSchedule,
  toSlot,
  type SupportedResource,
} from './fhir.resources.ts';
import type {
  AppointmentSearch,
  DateValue,
  Paging,
  PatientSearch,
  PractitionerRoleSearch,
  PractitionerSearch,
  ScheduleSearch,
  SlotSearch,
} from './fhir.schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a search is answered: the base URL (ending in `/`) and the request's absolute URL. */
export interface SearchUrls {
  base: string;
  self: URL;
}

/** What the CapabilityStatement lists, and the routes serve: nothing more, nothing less. */
export const SUPPORTED_RESOURCES: readonly SupportedResource[] = [
  {
    type: 'Practitioner',
    read: true,
    documentation: 'Doctors with a public profile. Public.',
    searchParams: [{ name: 'name', type: 'string', documentation: 'Case-insensitive substring of the first name, last name, email or a specialization’s name.' }],
  },
  {
    type: 'PractitionerRole',
    read: true,
    documentation: 'One role per doctor (id: the doctor’s): specialties and designations coded with our slugs. Public.',
    searchParams: [{ name: 'specialty', type: 'token', documentation: 'A specialization slug (system urn:clinic-api:specialization).' }],
  },
  {
    type: 'Patient',
    read: true,
    documentation: 'Admins, the patient’s doctors (a confirmed or completed appointment within the last 365 or next 30 days) and the patient; search: admins and doctors.',
    searchParams: [
      { name: 'name', type: 'string', documentation: 'Case-insensitive substring of the first name, last name or email.' },
      { name: 'email', type: 'token', documentation: 'The exact email, in any case.' },
    ],
  },
  {
    type: 'Schedule',
    read: true,
    documentation: 'One per doctor (id: the doctor’s). Public.',
    searchParams: [{ name: 'actor', type: 'reference', documentation: 'Practitioner/{id}.' }],
  },
  {
    type: 'Slot',
    read: false,
    documentation: 'The free slots patients may book, as `GET /v1/api/doctor/available-times-patient/` answers them. Public.',
    searchParams: [
      { name: 'schedule', type: 'reference', documentation: 'Schedule/{id} (required).' },
      { name: 'start', type: 'date', documentation: 'ge and lt bounds (required), at most 31 days apart; a date is midnight in the doctor’s time zone.' },
      { name: 'status', type: 'token', documentation: 'Only free slots are listed.' },
    ],
  },
  {
    type: 'Appointment',
    read: true,
    documentation: 'To its patient, its doctor and admins.',
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/{id}.' },
      { name: 'practitioner', type: 'reference', documentation: 'Practitioner/{id}.' },
      { name: 'date', type: 'date', documentation: 'ge/lt bounds of the start, or a date alone (a date is UTC midnight).' },
    ],
  },
];

export function getCapabilityStatement(base: string) {
  return capabilityStatement(base, SUPPORTED_RESOURCES);
}

/** Ids are UUIDs here: any other FHIR id names nothing. */
function checkId(id: string): string {
  if (!UUID.test(id)) throw new NotFoundError();
  return id;
}

const restPage = (paging: Paging) => ({ page: paging._page, pageSize: paging._count });

function bundleOf(urls: SearchUrls, paging: Paging, total: number, resources: Resource[]): Bundle {
  return toBundle(urls.base, urls.self, paging, total, resources);
}

export async function readPractitioner(ctx: ServiceContext, input: { id: string }) {
  return toPractitioner(await getDoctor(ctx, { id: checkId(input.id) }));
}

export async function searchPractitioners(ctx: ServiceContext, query: PractitionerSearch, urls: SearchUrls): Promise<Bundle> {
  const { count, results } = await listDoctors(ctx, { ...restPage(query), search: query.name });
  return bundleOf(urls, query, count, results.map(toPractitioner));
}

export async function readPractitionerRole(ctx: ServiceContext, input: { id: string }) {
  return toPractitionerRole(await getDoctor(ctx, { id: checkId(input.id) }));
}

export async function searchPractitionerRoles(ctx: ServiceContext, query: PractitionerRoleSearch, urls: SearchUrls): Promise<Bundle> {
  const { count, results } = await listDoctors(ctx, { ...restPage(query), specialization: query.specialty });
  return bundleOf(urls, query, count, results.map(toPractitionerRole));
}

export async function readSchedule(ctx: ServiceContext, input: { id: string }) {
  return toSchedule(await getDoctor(ctx, { id: checkId(input.id) }));
}

/** One Schedule per doctor: `actor` names one (none when it names no visible doctor), or all are listed. */
export async function searchSchedules(ctx: ServiceContext, query: ScheduleSearch, urls: SearchUrls): Promise<Bundle> {
  if (query.actor === undefined) {
    const { count, results } = await listDoctors(ctx, restPage(query));
    return bundleOf(urls, query, count, results.map(toSchedule));
  }
  const doctor = UUID.test(query.actor) ? await getDoctor(ctx, { id: query.actor }).catch(nothingIfNotFound) : undefined;
  const found = doctor ? [toSchedule(doctor)] : [];
  return bundleOf(urls, query, found.length, query._page === 1 ? found : []);
}

function nothingIfNotFound(error: unknown): undefined {
  if (error instanceof NotFoundError) return undefined;
  throw error;
}

/** `ge`/`lt` bounds as instants (a date: its midnight in `zone`); a date alone is that whole day. */
function dateBounds(values: readonly DateValue[], path: string, zone: string): { from?: Date; to?: Date } {
  const startOf = (value: string) => DateTime.fromISO(value, { zone }).toJSDate();
  const bounds: { from?: Date; to?: Date } = {};
  for (const { prefix, value } of values) {
    if (prefix === 'eq') {
      if (values.length > 1 || value.includes('T')) throw invalidSearch(path, 'a value without a prefix must be a date, alone');
      bounds.from = startOf(value);
      bounds.to = DateTime.fromISO(value, { zone }).plus({ days: 1 }).toJSDate();
    } else {
      const key = prefix === 'ge' ? 'from' : 'to';
      if (bounds[key]) throw invalidSearch(path, `only one ${prefix} bound may be given`);
      bounds[key] = startOf(value);
    }
  }
  if (bounds.from && bounds.to && bounds.to <= bounds.from) throw invalidSearch(path, 'the lt bound must be after the ge bound');
  return bounds;
}

/**
 * The free slots of the schedule's doctor with starts in [ge, lt): the same computation as the
 * REST free slots (the doctor's local dates covering the range), cut to the exact bounds.
 */
export async function searchSlots(ctx: ServiceContext, query: SlotSearch, urls: SearchUrls): Promise<Bundle> {
  const doctor = await getDoctor(ctx, { id: checkId(query.schedule) });
  const { from, to } = dateBounds(query.start, 'query.start', doctor.timezone);
  if (!from || !to) throw invalidSearch('query.start', 'both a ge and an lt bound are required');
  const firstDate = DateTime.fromJSDate(from, { zone: doctor.timezone }).toISODate()!;
  const lastDate = DateTime.fromJSDate(new Date(to.getTime() - 1), { zone: doctor.timezone }).toISODate()!;
  const days = DateTime.fromISO(lastDate).diff(DateTime.fromISO(firstDate), 'days').days + 1;
  if (days > MAX_RANGE_DAYS) throw invalidSearch('query.start', `the bounds must span at most ${MAX_RANGE_DAYS} days`);
  const slots = query.status === undefined || query.status === 'free' ? ((await freeSlotsOf(ctx, { doctorId: doctor.id, from: firstDate, to: lastDate })) ?? []) : [];
  const inRange = slots.filter((slot) => slot.startsAt >= from && slot.startsAt < to);
  const skip = (query._page - 1) * query._count;
  return bundleOf(urls, query, inRange.length, inRange.slice(skip, skip + query._count).map((slot) => toSlot(doctor.id, slot)));
}

export async function readPatient(ctx: ServiceContext, input: { id: string; route: string }, actor: Actor) {
  return toPatient(await getPatient(ctx, { patient: checkId(input.id), route: input.route }, actor));
}

/** Admins and doctors (their patients only), as the REST patient list; patients 403. */
export async function searchPatients(ctx: ServiceContext, query: PatientSearch & { route: string }, actor: Actor, urls: SearchUrls): Promise<Bundle> {
  const { count, results } = await listPatients(ctx, { ...restPage(query), search: query.name, email: query.email, route: query.route }, actor);
  return bundleOf(urls, query, count, results.map(toPatient));
}

export async function readAppointment(ctx: ServiceContext, input: { id: string }, actor: Actor) {
  return toAppointment(await getAppointment(ctx, { id: checkId(input.id) }, actor));
}

/** The appointments the caller may read (their own; admins all), by patient, practitioner and start date. */
export async function searchAppointmentResources(ctx: ServiceContext, query: AppointmentSearch, actor: Actor, urls: SearchUrls): Promise<Bundle> {
  const ids = [query.patient, query.practitioner].filter((id) => id !== undefined);
  if (ids.some((id) => !UUID.test(id))) return bundleOf(urls, query, 0, []);
  const { from, to } = query.date ? dateBounds(query.date, 'query.date', 'UTC') : {};
  const skip = (query._page - 1) * query._count;
  const { count, results } = await searchAppointments(
    ctx,
    { patientId: query.patient, doctorId: query.practitioner, from, to, skip, take: query._count },
    actor,
  );
  return bundleOf(urls, query, count, results.map(toAppointment));
}
