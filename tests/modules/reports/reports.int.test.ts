// The appointment report (operations/reports/appointments/): counts by day of startsAt in
// REPORT_TIMEZONE (here New York, so UTC midnight and local midnight differ), by doctor and by
// status; admins see every doctor or one, a doctor only their own (another doctor's id is 404).
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentStatus } from '../../../src/generated/prisma/enums.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectFieldError, expectProblem } from '../../helpers/http.ts';

interface Counts {
  total: number;
  completed: number;
  cancelled: number;
  lateCancelled: number;
  noShow: number;
  rescheduled: number;
}
interface Report {
  from: string;
  to: string;
  groupBy: string;
  rows: (Counts & { key: string })[];
  totals: Counts;
}

const t = useTestApp({ env: { REPORT_TIMEZONE: 'America/New_York' } });
const http = () => client(t.app);
let admin: Actor<'admin'>;
let alice: Actor<'doctor'>;
let bob: Actor<'doctor'>;
let patient: Actor<'patient'>;

const counts = (values: Partial<Counts>): Counts => ({ total: 0, completed: 0, cancelled: 0, lateCancelled: 0, noShow: 0, rescheduled: 0, ...values });

beforeAll(async () => {
  admin = await loginAs(t, 'admin');
  alice = await loginAs(t, 'doctor');
  bob = await loginAs(t, 'doctor');
  patient = await loginAs(t, 'patient');
  const add = (doctor: Actor<'doctor'>, startsAt: string, status: AppointmentStatus, lateCancel = false) =>
    t.db.appointment.create({
      data: { doctorId: doctor.profileId, patientId: patient.profileId, startsAt: new Date(startsAt), endsAt: new Date(Date.parse(startsAt) + 30 * 60_000), status, lateCancel },
    });
  // New York is UTC-5 in January: the local day starts at 05:00 UTC.
  await add(alice, '2026-01-09T04:00:00Z', 'completed'); // Jan 8, 23:00 local: before the range
  await add(alice, '2026-01-10T04:30:00Z', 'completed'); // Jan 9, 23:30 local
  await add(alice, '2026-01-10T05:30:00Z', 'cancelled', true); // Jan 10, 00:30 local
  await add(alice, '2026-01-10T15:00:00Z', 'no_show');
  await add(bob, '2026-01-11T04:59:00Z', 'rescheduled'); // Jan 10, 23:59 local
  await add(bob, '2026-01-11T05:00:00Z', 'cancelled'); // Jan 11, 00:00 local
  await add(alice, '2026-01-12T05:00:00Z', 'confirmed'); // Jan 12 local: after the range
});

async function report(caller: Actor, query: string): Promise<Report> {
  const response = await http().get(`operations/reports/appointments/?${query}`, { headers: caller.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Report>();
}

const RANGE = 'from=2026-01-09&to=2026-01-11';
const ALL = counts({ total: 5, completed: 1, cancelled: 2, lateCancelled: 1, noShow: 1, rescheduled: 1 });

describe('operations/reports/appointments/', () => {
  it('groups by the day of startsAt in REPORT_TIMEZONE, around local midnight, with totals', async () => {
    expect(await report(admin, `${RANGE}&groupBy=day`)).toEqual({
      from: '2026-01-09',
      to: '2026-01-11',
      groupBy: 'day',
      rows: [
        { key: '2026-01-09', ...counts({ total: 1, completed: 1 }) },
        { key: '2026-01-10', ...counts({ total: 3, cancelled: 1, lateCancelled: 1, noShow: 1, rescheduled: 1 }) },
        { key: '2026-01-11', ...counts({ total: 1, cancelled: 1 }) },
      ],
      totals: ALL,
    });
  });

  it('groups by day when groupBy is left out', async () => {
    expect((await report(admin, RANGE)).groupBy).toBe('day');
  });

  it('groups by doctor: the key is the doctor’s id', async () => {
    const { rows, totals } = await report(admin, `${RANGE}&groupBy=doctor`);
    expect(rows).toEqual(
      [
        { key: alice.profileId, ...counts({ total: 3, completed: 1, cancelled: 1, lateCancelled: 1, noShow: 1 }) },
        { key: bob.profileId, ...counts({ total: 2, cancelled: 1, rescheduled: 1 }) },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(totals).toEqual(ALL);
  });

  it('groups by status, in the workflow’s order: total counts every status, rescheduled included', async () => {
    const { rows, totals } = await report(admin, `${RANGE}&groupBy=status`);
    expect(rows).toEqual([
      { key: 'completed', ...counts({ total: 1, completed: 1 }) },
      { key: 'cancelled', ...counts({ total: 2, cancelled: 2, lateCancelled: 1 }) },
      { key: 'no_show', ...counts({ total: 1, noShow: 1 }) },
      { key: 'rescheduled', ...counts({ total: 1, rescheduled: 1 }) },
    ]);
    expect(totals).toEqual(ALL);
  });

  it('an admin narrows to one doctor with doctorId; an unknown doctor is 404', async () => {
    expect((await report(admin, `${RANGE}&groupBy=doctor&doctorId=${bob.profileId}`)).rows.map((row) => row.key)).toEqual([bob.profileId]);
    expectProblem(await http().get(`operations/reports/appointments/?${RANGE}&doctorId=${patient.profileId}`, { headers: admin.headers }), 404, 'not_found');
  });

  it('a doctor sees their own appointments only; another doctor’s id is 404', async () => {
    const own = await report(alice, `${RANGE}&groupBy=doctor`);
    expect(own.rows.map((row) => row.key)).toEqual([alice.profileId]);
    expect(own.totals).toEqual(counts({ total: 3, completed: 1, cancelled: 1, lateCancelled: 1, noShow: 1 }));
    expect((await report(alice, `${RANGE}&doctorId=${alice.profileId}`)).totals.total).toBe(3);
    expect((await report(bob, `${RANGE}&groupBy=status`)).totals).toEqual(counts({ total: 2, cancelled: 1, rescheduled: 1 }));
    expectProblem(await http().get(`operations/reports/appointments/?${RANGE}&doctorId=${bob.profileId}`, { headers: alice.headers }), 404, 'not_found');
  });

  it('a range with no appointments answers no rows and zero totals', async () => {
    expect(await report(admin, 'from=2025-06-01&to=2025-06-30&groupBy=status')).toMatchObject({ rows: [], totals: counts({}) });
  });

  it('patients and the anonymous may not read it', async () => {
    expectProblem(await http().get(`operations/reports/appointments/?${RANGE}`, { headers: patient.headers }), 403, 'forbidden');
    expectProblem(await http().get(`operations/reports/appointments/?${RANGE}`), 401, 'unauthorized');
  });

  it('refuses a bad range, groupBy or field with 400 naming it', async () => {
    const ask = (query: string) => http().get(`operations/reports/appointments/?${query}`, { headers: admin.headers });
    expectFieldError(await ask('from=2026-01-11&to=2026-01-09'), 'query.to');
    expectFieldError(await ask('from=2026-01-01&to=2027-01-02'), 'query.to');
    expect((await ask('from=2026-01-01&to=2027-01-01')).statusCode).toBe(200);
    expectFieldError(await ask(`${RANGE}&groupBy=week`), 'query.groupBy');
    expectFieldError(await ask('from=2026-02-30&to=2026-03-01'), 'query.from');
    expectFieldError(await ask('to=2026-03-01'), 'query.from');
    expectFieldError(await ask(`${RANGE}&doctorId=nope`), 'query.doctorId');
    expectFieldError(await ask(`${RANGE}&status=completed`), 'query.status');
  });
});
