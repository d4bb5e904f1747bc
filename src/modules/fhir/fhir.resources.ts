// The REST views of doctors, patients, free slots and appointments as FHIR R4 resources, the
// searchset Bundle, the OperationOutcome of a problem, and the CapabilityStatement.
import type {
  Appointment,
  AppointmentParticipant,
  Bundle,
  BundleLink,
  CapabilityStatement,
  CapabilityStatementRestResource,
  CodeableConcept,
  ContactPoint,
  HumanName,
  OperationOutcome,
  OperationOutcomeIssue,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  Resource,
  Schedule,
  Slot,
} from '@medplum/fhirtypes';
import type { DoctorView } from '../doctors/index.ts';
import type { PatientView } from '../patients/index.ts';
import type { AppointmentOut, AppointmentStatus } from '../scheduling/index.ts';
import type { Problem } from '../../schemas/problem.ts';

/** Code systems of our own catalogues: the codes are the REST slugs. */
export const SPECIALIZATION_SYSTEM = 'urn:clinic-api:specialization';
export const DESIGNATION_SYSTEM = 'urn:clinic-api:designation';
const PROBLEM_SYSTEM = 'urn:clinic-api:problem';

/** API.md, "FHIR R4 read API": our appointment statuses as FHIR's. */
export const APPOINTMENT_STATUS: Record<AppointmentStatus, Appointment['status']> = {
  requested: 'proposed',
  pending: 'pending',
  confirmed: 'booked',
  completed: 'fulfilled',
  no_show: 'noshow',
  cancelled: 'cancelled',
  rejected: 'cancelled',
  rescheduled: 'cancelled',
};

/** FHIR strings may not be empty: erased or unnamed accounts have empty names. */
const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

function fullName(firstName: string, lastName: string): string | undefined {
  const text = [firstName, lastName].filter(present).join(' ');
  return text || undefined;
}

function humanNames(firstName: string, lastName: string): HumanName[] | undefined {
  const text = fullName(firstName, lastName);
  if (!text) return undefined;
  return [{ use: 'official', text, ...(present(lastName) ? { family: lastName } : {}), ...(present(firstName) ? { given: [firstName] } : {}) }];
}

function reference<T extends 'Patient' | 'Practitioner'>(type: T, id: string, display: string | undefined): Reference<T extends 'Patient' ? Patient : Practitioner> {
  return { reference: `${type}/${id}`, ...(display ? { display } : {}) };
}

function catalogueConcepts(system: string, entries: readonly { name: string; slug: string }[]): CodeableConcept[] {
  return entries.map((entry) => ({ coding: [{ system, code: entry.slug, display: entry.name }], text: entry.name }));
}

const withItems = <T>(items: T[] | undefined): T[] | undefined => (items && items.length > 0 ? items : undefined);

export function toPractitioner(doctor: DoctorView): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: doctor.id,
    active: true,
    name: humanNames(doctor.user.firstName, doctor.user.lastName),
    telecom: [{ system: 'email', value: doctor.user.email, use: 'work' }],
  };
}

export function toPractitionerRole(doctor: DoctorView): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id: doctor.id,
    active: true,
    practitioner: reference('Practitioner', doctor.id, fullName(doctor.user.firstName, doctor.user.lastName)),
    code: withItems(catalogueConcepts(DESIGNATION_SYSTEM, doctor.designations)),
    specialty: withItems(catalogueConcepts(SPECIALIZATION_SYSTEM, doctor.specializations)),
  };
}

export function toSchedule(doctor: DoctorView): Schedule {
  return {
    resourceType: 'Schedule',
    id: doctor.id,
    active: doctor.acceptingPatients,
    actor: [reference('Practitioner', doctor.id, fullName(doctor.user.firstName, doctor.user.lastName))],
    specialty: withItems(catalogueConcepts(SPECIALIZATION_SYSTEM, doctor.specializations)),
  };
}

export function toSlot(scheduleId: string, slot: { startsAt: Date; endsAt: Date }): Slot {
  return {
    resourceType: 'Slot',
    schedule: { reference: `Schedule/${scheduleId}` },
    status: 'free',
    start: slot.startsAt.toISOString(),
    end: slot.endsAt.toISOString(),
  };
}

export function toPatient(patient: PatientView): Patient {
  const telecom: ContactPoint[] = [];
  if (present(patient.user.email)) telecom.push({ system: 'email', value: patient.user.email });
  if (present(patient.phone)) telecom.push({ system: 'phone', value: patient.phone });
  const contact = patient.emergencyContact;
  const contactEntry = contact && (present(contact.name) || present(contact.phone)) ? contact : undefined;
  return {
    resourceType: 'Patient',
    id: patient.id,
    active: true,
    name: humanNames(patient.user.firstName, patient.user.lastName),
    telecom: withItems(telecom),
    gender: patient.gender,
    ...(patient.dateOfBirth ? { birthDate: patient.dateOfBirth } : {}),
    ...(present(patient.address) ? { address: [{ text: patient.address }] } : {}),
    ...(contactEntry
      ? {
          contact: [
            {
              ...(present(contactEntry.relationship) ? { relationship: [{ text: contactEntry.relationship }] } : {}),
              ...(present(contactEntry.name) ? { name: { text: contactEntry.name } } : {}),
              ...(present(contactEntry.phone) ? { telecom: [{ system: 'phone' as const, value: contactEntry.phone }] } : {}),
            },
          ],
        }
      : {}),
  };
}

export function toAppointment(appointment: AppointmentOut): Appointment {
  const status = APPOINTMENT_STATUS[appointment.status];
  // Until the doctor confirms, the doctor's answer is outstanding; the patient asked or booked.
  const doctorStatus: AppointmentParticipant['status'] = status === 'proposed' || status === 'pending' ? 'needs-action' : 'accepted';
  const { patient, doctor } = appointment;
  return {
    resourceType: 'Appointment',
    id: appointment.id,
    status,
    appointmentType: { text: appointment.type === 'online' ? 'online' : 'in person' },
    ...(present(appointment.reason) ? { reasonCode: [{ text: appointment.reason }] } : {}),
    start: appointment.startsAt,
    end: appointment.endsAt,
    minutesDuration: Math.round((Date.parse(appointment.endsAt) - Date.parse(appointment.startsAt)) / 60_000),
    created: appointment.createdAt,
    participant: [
      { actor: reference('Patient', patient.id, fullName(patient.firstName, patient.lastName)), required: 'required', status: 'accepted' },
      { actor: reference('Practitioner', doctor.id, fullName(doctor.firstName, doctor.lastName)), required: 'required', status: doctorStatus },
    ],
  };
}

/** A searchset page: `self` is the request's URL, `next` the same with the next `_page`. */
export function toBundle(
  base: string,
  self: URL,
  page: { _count: number; _page: number },
  total: number,
  resources: Resource[],
): Bundle {
  const link: BundleLink[] = [{ relation: 'self', url: self.toString() }];
  if (page._page * page._count < total) {
    const next = new URL(self);
    next.searchParams.set('_count', String(page._count));
    next.searchParams.set('_page', String(page._page + 1));
    link.push({ relation: 'next', url: next.toString() });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link,
    entry: withItems(
      resources.map((resource) => ({
        ...(resource.id ? { fullUrl: `${base}${resource.resourceType}/${resource.id}` } : {}),
        resource,
        search: { mode: 'match' as const },
      })),
    ),
  };
}

/** FHIR's issue type for each HTTP status the API answers. */
const ISSUE_CODES: Record<number, OperationOutcomeIssue['code']> = {
  400: 'invalid',
  401: 'security',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  408: 'timeout',
  409: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'business-rule',
  429: 'throttled',
  503: 'transient',
};

/** The OperationOutcome of a problem+json answer: one issue, or one per offending field. */
export function toOperationOutcome(problem: Problem): OperationOutcome {
  const code = ISSUE_CODES[problem.status] ?? (problem.status >= 500 ? 'exception' : 'processing');
  const details: CodeableConcept = { coding: [{ system: PROBLEM_SYSTEM, code: problem.code }], text: problem.detail };
  const fields = problem.errors ?? [];
  const issue: OperationOutcomeIssue[] =
    fields.length > 0
      ? fields.map((field) => ({ severity: 'error', code, details, diagnostics: `${field.path}: ${field.message}` }))
      : [{ severity: 'error', code, details, diagnostics: problem.detail }];
  return { resourceType: 'OperationOutcome', issue };
}

export interface SupportedResource {
  type: 'Practitioner' | 'PractitionerRole' | 'Patient' | 'Schedule' | 'Slot' | 'Appointment';
  read: boolean;
  documentation: string;
  searchParams: { name: string; type: 'string' | 'token' | 'reference' | 'date'; documentation: string }[];
}

/** The date of this capability statement's content: change it with the routes. */
const CAPABILITIES_DATE = '2026-12-07';

export function capabilityStatement(base: string, resources: readonly SupportedResource[]): CapabilityStatement {
  const rest: CapabilityStatementRestResource[] = resources.map((resource) => ({
    type: resource.type,
    documentation: resource.documentation,
    interaction: [...(resource.read ? [{ code: 'read' as const }] : []), { code: 'search-type' as const }],
    searchParam: [
      ...resource.searchParams,
      { name: '_count', type: 'number', documentation: 'Entries per page, 1..100 (default 20).' },
      { name: '_page', type: 'number', documentation: 'The page, from 1 (the `next` link sets it).' },
    ],
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: CAPABILITIES_DATE,
    publisher: 'Clinic API',
    kind: 'instance',
    software: { name: 'Clinic API' },
    implementation: { description: 'Read-only FHIR R4 view of the clinic', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Read and search only. Unknown search parameters answer 400 (strict handling). Errors are OperationOutcome with the status the REST API answers.',
        security: {
          cors: true,
          description: 'The REST API’s bearer access tokens (POST /v1/api/user/login/) with its visibility rules; metadata, Practitioner, PractitionerRole, Schedule and Slot are public.',
        },
        resource: rest,
      },
    ],
  };
}
