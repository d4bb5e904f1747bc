// The database itself refuses double bookings (appointments_no_overlap) and reversed times.
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentStatus } from '../../src/generated/prisma/enums.ts';
import { createDoctor, createPatient } from '../helpers/actors.ts';
import { useTestDatabase } from '../helpers/app.ts';

/** The PostgreSQL error beneath a Prisma error (Prisma 7 reports these as P2039 with the driver's error in `meta`). */
async function databaseError(promise: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the database to refuse');
    },
    (e: unknown) => e as { meta?: { driverAdapterError?: { cause?: { code?: string; message?: string } } } },
  );
  return error.meta?.driverAdapterError?.cause ?? {};
}

describe('appointment constraints', () => {
  const database = useTestDatabase();
  let doctorId: string;
  let patientId: string;

  // Each test books its own day far in the future, so tests never collide with each other.
  let day = 0;
  const slot = (startHour: number, endHour: number, dayOffset: number) => {
    const base = Date.UTC(2100, 0, 1) + dayOffset * 86_400_000;
    return { startsAt: new Date(base + startHour * 3_600_000), endsAt: new Date(base + endHour * 3_600_000) };
  };
  const book = (status: AppointmentStatus, time: { startsAt: Date; endsAt: Date }) =>
    database.db.appointment.create({ data: { doctorId, patientId, status, ...time }, select: { id: true } });

  beforeAll(async () => {
    ({ profileId: doctorId } = await createDoctor(database.db));
    ({ profileId: patientId } = await createPatient(database.db));
  });

  it('refuses an appointment holding time (pending, confirmed) overlapping another of the same doctor', async () => {
    const d = day++;
    await book('confirmed', slot(9, 10, d));
    expect(await databaseError(book('pending', slot(9.5, 10.5, d)))).toMatchObject({
      code: '23P01', // exclusion_violation
      message: expect.stringContaining('appointments_no_overlap'),
    });
  });

  it('accepts an overlapping request: requests hold no time (issue 18 M5)', async () => {
    const d = day++;
    await book('confirmed', slot(9, 10, d));
    await expect(book('requested', slot(9.5, 10.5, d))).resolves.toBeDefined();
  });

  it('accepts an overlapping cancelled appointment, and a new booking over a cancelled one', async () => {
    const d = day++;
    await book('pending', slot(9, 10, d));
    await expect(book('cancelled', slot(9, 10, d))).resolves.toBeDefined();
    const other = day++;
    await book('cancelled', slot(9, 10, other));
    await expect(book('confirmed', slot(9, 10, other))).resolves.toBeDefined();
  });

  it('accepts back-to-back appointments (ranges are half-open)', async () => {
    const d = day++;
    await book('confirmed', slot(9, 10, d));
    await expect(book('confirmed', slot(10, 11, d))).resolves.toBeDefined();
    await expect(book('requested', slot(8, 9, d))).resolves.toBeDefined();
  });

  it('refuses an appointment that ends before it starts', async () => {
    expect(await databaseError(book('requested', slot(10, 9, day++)))).toMatchObject({
      code: '23514', // check_violation
      message: expect.stringContaining('appointments_time_order'),
    });
  });
});
