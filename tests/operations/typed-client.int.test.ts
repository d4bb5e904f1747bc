// For client developers: TypeScript types generated from /docs/json with openapi-typescript,
// and an end-to-end flow through openapi-fetch (register, activate, log in, list doctors, book,
// cancel, then hold a slot, book the hold and reschedule) that must type-check with `tsc --noEmit` in a project of its own (mistakes in calls
// must not), then runs against the app listening on a real port.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, randomEmail, randomPassword } from '../helpers/actors.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import { otpFrom } from '../helpers/mail.ts';
import { addDailyWindows, localDate } from '../helpers/scheduling.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const execFileAsync = promisify(execFile);

/** The client developer's script: only the generated `paths` and openapi-fetch. */
const FLOW = `import createClient from 'openapi-fetch';
import type { paths } from './schema.ts';

export interface FlowInput {
  email: string;
  password: string;
  doctorName: string;
  day: string;
}

export async function flow(baseUrl: string, input: FlowInput, otpFor: (email: string) => Promise<string>) {
  const client = createClient<paths>({ baseUrl });
  const fail = (step: string, response: Response, error: unknown): never => {
    throw new Error(step + ': ' + response.status + ' ' + JSON.stringify(error));
  };

  const registered = await client.POST('/v1/api/user/register', { body: { email: input.email, password: input.password } });
  if (!registered.data) return fail('register', registered.response, registered.error);
  const userId: string = registered.data.id;

  const activated = await client.POST('/v1/api/user/account/activate', { body: { email: input.email, otp: await otpFor(input.email) } });
  if (activated.error) return fail('activate', activated.response, activated.error);

  const login = await client.POST('/v1/api/user/login', { body: { email: input.email, password: input.password } });
  if (!login.data || !('access' in login.data)) return fail('login', login.response, login.error);
  const headers = { authorization: 'Bearer ' + login.data.access };

  const doctors = await client.GET('/v1/api/doctor/list', { params: { query: { search: input.doctorName, pageSize: 10 } } });
  if (!doctors.data) return fail('list doctors', doctors.response, doctors.error);
  const doctor = doctors.data.results[0];
  if (!doctor) throw new Error('no doctor named ' + input.doctorName);

  const slots = await client.GET('/v1/api/doctor/available-times-patient', {
    params: { query: { doctorId: doctor.id, from: input.day, to: input.day } },
    headers,
  });
  if (!slots.data) return fail('free slots', slots.response, slots.error);
  const slot = slots.data[0];
  if (!slot) throw new Error('no free slot on ' + input.day);

  const booked = await client.POST('/v1/api/appointment/patient', {
    body: { doctorId: doctor.id, startsAt: slot.startsAt, reason: 'Booked through the typed client' },
    headers,
  });
  if (!booked.data) return fail('book', booked.response, booked.error);

  const cancelled = await client.POST('/v1/api/appointment/patient/{id}/cancel', {
    params: { path: { id: booked.data.id } },
    body: {},
    headers,
  });
  if (!cancelled.data) return fail('cancel', cancelled.response, cancelled.error);
  const status: string = cancelled.data.status;

  // Hold a slot while deciding, book the hold, then move the appointment to another slot.
  const [, later, latest] = slots.data;
  if (!later || !latest) throw new Error('fewer than three free slots on ' + input.day);
  const held = await client.POST('/v1/api/appointment/holds', { body: { doctorId: doctor.id, startsAt: later.startsAt }, headers });
  if (!held.data) return fail('hold', held.response, held.error);
  const expiresAt: string = held.data.expiresAt;
  const heldBooking = await client.POST('/v1/api/appointment/patient', { body: { holdId: held.data.id, type: 'online' }, headers });
  if (!heldBooking.data) return fail('book the hold', heldBooking.response, heldBooking.error);
  const moved = await client.POST('/v1/api/appointment/patient/{id}/reschedule', {
    params: { path: { id: heldBooking.data.id } },
    body: { startsAt: latest.startsAt, reason: 'Moved through the typed client' },
    headers,
  });
  if (!moved.data) return fail('reschedule', moved.response, moved.error);
  const rescheduledFromId: string | null = moved.data.rescheduledFromId;
  return {
    userId,
    doctorId: doctor.id,
    appointmentId: booked.data.id,
    startsAt: slot.startsAt,
    status,
    expiresAt,
    heldAppointmentId: heldBooking.data.id,
    rescheduled: { id: moved.data.id, startsAt: moved.data.startsAt, rescheduledFromId },
  };
}
`;

/** Mistakes the generated types must catch: each line is a compile error, or tsc fails. */
const MISTAKES = `import createClient from 'openapi-fetch';
import type { paths } from './schema.ts';

const client = createClient<paths>({ baseUrl: 'http://localhost' });
export async function mistakes() {
  // @ts-expect-error an unknown path
  await client.GET('/v1/api/no-such-route');
  // @ts-expect-error register needs a password
  await client.POST('/v1/api/user/register', { body: { email: 'a@example.com' } });
  // @ts-expect-error the cancel route needs its path id
  await client.POST('/v1/api/appointment/patient/{id}/cancel', { body: {} });
  // @ts-expect-error a hold names its doctor
  await client.POST('/v1/api/appointment/holds', { body: { startsAt: '2026-12-01T09:00:00Z' } });
  const me = await client.GET('/v1/api/user/me');
  // @ts-expect-error the user view has no password hash
  void me.data?.passwordHash;
}
`;

describe('typed client', () => {
  let t: TestApp;
  let dir: string;
  let baseUrl: string;

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'clinic-typed-client-'));
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates types from /docs/json that type-check a full booking flow, which then runs against the listening app', { timeout: 120_000 }, async () => {
    const response = await fetch(`${baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Parameters<typeof openapiTS>[0];
    // defaultNonNullable (on by default) would make fields with a default required in request
    // bodies too, e.g. a booking's `type`: the API lets clients leave them out.
    const schema = astToString(await openapiTS(document, { defaultNonNullable: false }));
    expect(schema).toContain('"/v1/api/appointment/patient/{id}/cancel"');

    writeFileSync(path.join(dir, 'schema.ts'), schema);
    writeFileSync(path.join(dir, 'flow.ts'), FLOW);
    writeFileSync(path.join(dir, 'mistakes.ts'), MISTAKES);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2023',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          allowImportingTsExtensions: true,
          noUncheckedIndexedAccess: true,
          lib: ['es2023', 'dom'],
          types: [],
          skipLibCheck: true,
        },
        files: ['schema.ts', 'flow.ts', 'mistakes.ts'],
      }),
    );
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const checked = await execFileAsync(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 90_000 }).then(
      () => ({ ok: true, output: '' }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);

    // Run it: a doctor with free slots to find and book.
    const doctorName = `Typed${randomUUID().slice(0, 8)}`;
    const doctor = await loginAs(t, 'doctor', { firstName: doctorName });
    await addDailyWindows(t.db, doctor.profileId, '09:00', '12:00');
    const { flow } = (await import(pathToFileURL(path.join(dir, 'flow.ts')).href)) as {
      flow: (
        baseUrl: string,
        input: { email: string; password: string; doctorName: string; day: string },
        otpFor: (email: string) => Promise<string>,
      ) => Promise<{
        userId: string;
        doctorId: string;
        appointmentId: string;
        status: string;
        heldAppointmentId: string;
        rescheduled: { id: string; startsAt: string; rescheduledFromId: string | null };
      }>;
    };
    const email = randomEmail('typed');
    const result = await flow(baseUrl, { email, password: randomPassword(), doctorName, day: localDate(2) }, async (to) =>
      otpFrom(await t.mail.waitFor((message) => message.to === to && message.subject.includes('Activate'), 10_000)),
    );
    expect(result).toMatchObject({ doctorId: doctor.profileId, status: 'cancelled' });
    const appointment = await t.db.appointment.findUniqueOrThrow({ where: { id: result.appointmentId }, select: { status: true } });
    expect(appointment.status).toBe('cancelled');
    expect(result.rescheduled.rescheduledFromId).toBe(result.heldAppointmentId);
    const moved = await t.db.appointment.findMany({ where: { id: { in: [result.heldAppointmentId, result.rescheduled.id] } }, select: { id: true, status: true } });
    expect(Object.fromEntries(moved.map((row) => [row.id, row.status]))).toEqual({ [result.heldAppointmentId]: 'rescheduled', [result.rescheduled.id]: 'pending' });
    expect(await t.db.slotHold.count({ where: { doctorId: doctor.profileId } })).toBe(0);
  });
});
