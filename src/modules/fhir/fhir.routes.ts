// HTTP routes of the FHIR R4 read API (`/fhir/R4/...`): every answer is application/fhir+json,
// and every error the app answers here (the routes', auth's, the rate limit's, an unknown path's)
// is turned from problem+json into an OperationOutcome with the same status.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { sendProblem } from '../../plugins/errors.ts';
import { requestUrl } from '../../schemas/pagination.ts';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../../schemas/problem.ts';
import { toOperationOutcome } from './fhir.resources.ts';
import * as schemas from './fhir.schemas.ts';
import { FHIR_CONTENT_TYPE } from './fhir.schemas.ts';
import * as fhir from './fhir.service.ts';

export const FHIR_PREFIX = '/fhir/R4';
const TAGS = ['fhir'];
const FHIR_TYPE = `${FHIR_CONTENT_TYPE}; charset=utf-8`;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid or unknown search parameter (`invalid`).',
  401: 'Missing or invalid access token (`security`).',
  403: 'Authenticated but not allowed (`forbidden`).',
  404: 'Unknown, or not visible to the caller (`not-found`).',
  429: 'Rate limited; see `Retry-After` (`throttled`).',
  500: 'Unexpected error (`exception`).',
  503: 'Overloaded, or the database is unavailable; see `Retry-After` (`transient`).',
};

const fhirContent = (schema: z.ZodType) => ({ content: { [FHIR_CONTENT_TYPE]: { schema } } });

/** The documented answers of a route: the resource, and an OperationOutcome for each error it can give. */
function responses(schema: z.ZodType, errors: readonly number[]) {
  const answers: Record<number, { description: string; content: Record<string, { schema: z.ZodType }> }> = {
    200: { description: 'OK', ...fhirContent(schema) },
  };
  for (const status of [...errors, 429, 500, 503]) {
    answers[status] = { description: ERROR_DESCRIPTIONS[status] ?? 'Error.', ...fhirContent(schemas.operationOutcomeSchema) };
  }
  return answers;
}

const PUBLIC_READ = [400, 404];
const PUBLIC_SEARCH = [400];
const USER_READ = [400, 401, 404];

/** The base URL (ending in `/`) and the request's absolute URL, for a Bundle's links and fullUrls. */
function searchUrls(request: FastifyRequest) {
  const self = requestUrl(request, request.ctx.config.publicUrl);
  return { base: new URL(`${FHIR_PREFIX}/`, self).toString(), self };
}

const fhirRoutes: FastifyPluginAsyncZod = async (app) => {
  // Hooks of this scope run for its routes and its not-found handler, whatever answered.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.type(FHIR_TYPE);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith(PROBLEM_CONTENT_TYPE) && typeof payload === 'string') {
      reply.type(FHIR_TYPE);
      return done(null, JSON.stringify(toOperationOutcome(JSON.parse(payload) as Problem)));
    }
    done(null, payload);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 404, 'not_found', 'This FHIR server has no such resource type or interaction.'));

  app.get(
    '/metadata',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirCapabilities',
        tags: TAGS,
        summary: 'CapabilityStatement',
        description: 'What this server supports: resources, interactions and search parameters. Public.',
        response: responses(schemas.capabilityStatementSchema, []),
      },
    },
    async (request) => fhir.getCapabilityStatement(searchUrls(request).base),
  );

  app.get(
    '/Practitioner/:id',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirReadPractitioner',
        tags: TAGS,
        summary: 'Read a Practitioner',
        description: 'A doctor with a public profile (id: the doctor profile id). Public.',
        params: schemas.idParams,
        response: responses(schemas.practitionerSchema, PUBLIC_READ),
      },
    },
    async (request) => fhir.readPractitioner(request.ctx, request.params),
  );

  app.get(
    '/Practitioner',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirSearchPractitioner',
        tags: TAGS,
        summary: 'Search Practitioners',
        description: 'Doctors with a public profile, by last then first name. Public.',
        querystring: schemas.practitionerSearch,
        response: responses(schemas.bundleSchema, PUBLIC_SEARCH),
      },
    },
    async (request) => fhir.searchPractitioners(request.ctx, request.query, searchUrls(request)),
  );

  app.get(
    '/PractitionerRole/:id',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirReadPractitionerRole',
        tags: TAGS,
        summary: 'Read a PractitionerRole',
        description: 'A doctor’s one role (id: the doctor profile id): specialties and designations as codings with our slugs as codes. Public.',
        params: schemas.idParams,
        response: responses(schemas.practitionerRoleSchema, PUBLIC_READ),
      },
    },
    async (request) => fhir.readPractitionerRole(request.ctx, request.params),
  );

  app.get(
    '/PractitionerRole',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirSearchPractitionerRole',
        tags: TAGS,
        summary: 'Search PractitionerRoles',
        description: 'Doctors’ roles, optionally of one specialization (`specialty`: its slug). Public.',
        querystring: schemas.practitionerRoleSearch,
        response: responses(schemas.bundleSchema, PUBLIC_SEARCH),
      },
    },
    async (request) => fhir.searchPractitionerRoles(request.ctx, request.query, searchUrls(request)),
  );

  app.get(
    '/Patient/:id',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'fhirReadPatient',
        tags: TAGS,
        summary: 'Read a Patient',
        description:
          'As `GET /v1/api/patient/patients/{id}/`: admins, the patient’s doctors (a `confirmed` or `completed` appointment within the last 365 or next 30 days) and the patient; 404 to anyone else. Audited.',
        params: schemas.idParams,
        response: responses(schemas.patientResourceSchema, USER_READ),
      },
    },
    async (request) => fhir.readPatient(request.ctx, { ...request.params, route: request.routeOptions.url ?? '' }, actorOf(request)),
  );

  app.get(
    '/Patient',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'fhirSearchPatient',
        tags: TAGS,
        summary: 'Search Patients',
        description: 'As `GET /v1/api/patient/patients/`: admins see every patient, doctors their patients, patients get 403. Audited.',
        querystring: schemas.patientSearch,
        response: responses(schemas.bundleSchema, [400, 401, 403]),
      },
    },
    async (request) => fhir.searchPatients(request.ctx, { ...request.query, route: request.routeOptions.url ?? '' }, actorOf(request), searchUrls(request)),
  );

  app.get(
    '/Schedule/:id',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirReadSchedule',
        tags: TAGS,
        summary: 'Read a Schedule',
        description: 'A doctor’s calendar, one per doctor (id: the doctor profile id); `active` says whether they accept patients. Public.',
        params: schemas.idParams,
        response: responses(schemas.scheduleSchema, PUBLIC_READ),
      },
    },
    async (request) => fhir.readSchedule(request.ctx, request.params),
  );

  app.get(
    '/Schedule',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirSearchSchedule',
        tags: TAGS,
        summary: 'Search Schedules',
        description: 'The Schedule of `actor=Practitioner/{id}` (none for an unknown doctor), or every doctor’s. Public.',
        querystring: schemas.scheduleSearch,
        response: responses(schemas.bundleSchema, PUBLIC_SEARCH),
      },
    },
    async (request) => fhir.searchSchedules(request.ctx, request.query, searchUrls(request)),
  );

  app.get(
    '/Slot',
    {
      config: { auth: 'public' },
      schema: {
        operationId: 'fhirSearchSlot',
        tags: TAGS,
        summary: 'Search free Slots',
        description:
          'The free slots of a Schedule with starts in [`ge`, `lt`) (at most 31 days; both bounds required), computed as `GET /v1/api/doctor/available-times-patient/` computes them. ' +
          'Busy periods are not listed. An unknown schedule answers 404, as the REST route does. Public.',
        querystring: schemas.slotSearch,
        response: responses(schemas.bundleSchema, PUBLIC_READ),
      },
    },
    async (request) => fhir.searchSlots(request.ctx, request.query, searchUrls(request)),
  );

  app.get(
    '/Appointment/:id',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'fhirReadAppointment',
        tags: TAGS,
        summary: 'Read an Appointment',
        description:
          'To its patient, its doctor and admins; 404 to anyone else. Statuses: requested→proposed, pending→pending, confirmed→booked, completed→fulfilled, no_show→noshow, cancelled/rejected/rescheduled→cancelled.',
        params: schemas.idParams,
        response: responses(schemas.appointmentResourceSchema, USER_READ),
      },
    },
    async (request) => fhir.readAppointment(request.ctx, request.params, actorOf(request)),
  );

  app.get(
    '/Appointment',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'fhirSearchAppointment',
        tags: TAGS,
        summary: 'Search Appointments',
        description: 'The appointments the caller may read (a patient’s or doctor’s own; an admin’s, all), by start time.',
        querystring: schemas.appointmentSearch,
        response: responses(schemas.bundleSchema, [400, 401]),
      },
    },
    async (request) => fhir.searchAppointmentResources(request.ctx, request.query, actorOf(request), searchUrls(request)),
  );
};

export default fhirRoutes;
