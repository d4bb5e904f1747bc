// The demo data's appointments: a demo patient who can log in and sees them, and doctors whose
// free slots leave them out.
import { DateTime } from 'luxon';
import { expect, it } from 'vitest';
import { seedDemoData, type DemoCredentials } from '../../../prisma/seed.ts';
import { bearer, login } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { call, type Appointment, type Slot } from '../../helpers/scheduling.ts';

let credentials: DemoCredentials;
const t = useTestApp({
  prepare: async ({ db }) => {
    credentials = (await seedDemoData(db))!;
  },
});

it('seeds a demo patient with confirmed, pending and completed appointments that free slots leave out', async () => {
  expect(credentials.patient.email).toBe('patient@example.com');
  const headers = bearer(await login(t.app, { email: credentials.patient.email, password: credentials.doctors.password }));
  const list = await call(t.app, 'GET', 'appointment/patient/?pageSize=100', { headers });
  expect(list.statusCode).toBe(200);
  const { count, results } = list.json<{ count: number; results: Appointment[] }>();
  expect(count).toBe(9);
  expect(results.map((a) => a.status).sort()).toEqual([...Array(3).fill('completed'), ...Array(3).fill('confirmed'), ...Array(3).fill('pending')]);

  const confirmed = results.find((a) => a.status === 'confirmed')!;
  const doctor = await t.db.doctor.findUniqueOrThrow({ where: { id: confirmed.doctor.id }, select: { timezone: true } });
  const date = DateTime.fromISO(confirmed.startsAt).setZone(doctor.timezone).toISODate()!;
  const slots = await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${confirmed.doctor.id}&from=${date}&to=${date}`, { headers });
  const starts = slots.json<Slot[]>().map((s) => s.startsAt);
  expect(starts.length).toBeGreaterThan(0);
  expect(starts).not.toContain(confirmed.startsAt);
  expect(confirmed.statusHistory.map((h) => h.status)).toEqual(['pending', 'confirmed']);
});

it('gives one demo doctor buffers and a cancellation notice, kept by its booked appointments', async () => {
  const rules = await t.db.doctorBookingRules.findMany({ select: { doctorId: true, bufferBeforeMinutes: true, bufferAfterMinutes: true, cancelNoticeMinutes: true } });
  expect(rules).toEqual([{ doctorId: expect.any(String), bufferBeforeMinutes: 10, bufferAfterMinutes: 10, cancelNoticeMinutes: 1440 }]);
  const booked = await t.db.appointment.findMany({ where: { doctorId: rules[0]!.doctorId }, select: { bufferBeforeMinutes: true, bufferAfterMinutes: true } });
  expect(booked.length).toBeGreaterThan(0);
  for (const row of booked) expect(row).toEqual({ bufferBeforeMinutes: 10, bufferAfterMinutes: 10 });
});

it('puts the demo patient on a demo doctor’s waiting list', async () => {
  const headers = bearer(await login(t.app, { email: credentials.patient.email, password: credentials.doctors.password }));
  const list = await call(t.app, 'GET', 'appointment/waitlist/', { headers });
  expect(list.statusCode, list.body).toBe(200);
  const { results } = list.json<{ results: { doctorId: string; from: string; to: string; status: string }[] }>();
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ status: 'waiting' });
  expect(results[0]!.to > results[0]!.from).toBe(true);
});
