// Demo appointments: a demo patient with a few appointments with the first demo doctors
// (confirmed and pending next week, completed last week), so lists, free slots and the status
// workflow show something on a fresh database; the first doctor has booking rules (buffers,
// notice, cancellation notice), and the demo patient waits for a slot of the second one. Times are local to each doctor, inside the seed's weekday windows
// (09:00-12:00).
import { DateTime } from 'luxon';
import type { DbClient } from '../src/lib/db.ts';

export const DEMO_PATIENT_EMAIL = 'patient@example.com';

type Status = 'pending' | 'confirmed' | 'completed';

/** The first Monday..Friday at least `days` days from `from` (negative: back in time), at `hhmm` local time. */
function weekdayAt(from: DateTime, days: number, hhmm: string): DateTime {
  const step = days < 0 ? -1 : 1;
  let day = from.plus({ days }).startOf('day');
  while (day.weekday > 5) day = day.plus({ days: step });
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  return day.set({ hour, minute });
}

export async function seedDemoAppointments(tx: DbClient, passwordHash: string, now: Date): Promise<void> {
  const user = await tx.user.create({
    data: {
      email: DEMO_PATIENT_EMAIL,
      passwordHash,
      firstName: 'Pat',
      lastName: 'Demo',
      role: 'patient',
      isActive: true,
      patient: { create: {} },
    },
    select: { id: true, patient: { select: { id: true } } },
  });
  const patientId = user.patient!.id;
  const doctors = await tx.doctor.findMany({ select: { id: true, userId: true, timezone: true }, orderBy: { user: { email: 'asc' } }, take: 3 });
  const plans: { days: number; at: string; status: Status; reason: string }[] = [
    { days: 7, at: '09:00', status: 'confirmed', reason: 'Annual check-up' },
    { days: 8, at: '09:30', status: 'pending', reason: 'Follow-up on test results' },
    { days: -7, at: '10:00', status: 'completed', reason: 'Persistent cough' },
  ];
  // The first demo doctor shows the booking rules: 10 minutes between visits, bookings at least
  // 2 hours ahead and cancellations at least a day ahead.
  const rules = { bufferBeforeMinutes: 10, bufferAfterMinutes: 10, minNoticeMinutes: 120, cancelNoticeMinutes: 1440 };
  if (doctors[0]) await tx.doctorBookingRules.create({ data: { doctorId: doctors[0].id, ...rules, updatedAt: now } });
  for (const doctor of doctors) {
    const buffers = doctor === doctors[0] ? { bufferBeforeMinutes: rules.bufferBeforeMinutes, bufferAfterMinutes: rules.bufferAfterMinutes } : {};
    const local = DateTime.fromJSDate(now, { zone: doctor.timezone });
    for (const plan of plans) {
      const startsAt = weekdayAt(local, plan.days, plan.at);
      const start = startsAt.toJSDate();
      const history: { status: Status; changedById: string; at: Date }[] =
        plan.status === 'pending'
          ? [{ status: 'pending', changedById: user.id, at: now }]
          : plan.status === 'confirmed'
            ? [
                { status: 'pending', changedById: user.id, at: now },
                { status: 'confirmed', changedById: doctor.userId, at: now },
              ]
            : [
                { status: 'confirmed', changedById: doctor.userId, at: startsAt.minus({ days: 3 }).toJSDate() },
                { status: 'completed', changedById: doctor.userId, at: startsAt.plus({ minutes: 30 }).toJSDate() },
              ];
      await tx.appointment.create({
        data: {
          patientId,
          doctorId: doctor.id,
          startsAt: start,
          endsAt: startsAt.plus({ minutes: 30 }).toJSDate(),
          type: 'in_person',
          reason: plan.reason,
          status: plan.status,
          ...buffers,
          createdAt: plan.status === 'completed' ? startsAt.minus({ days: 3 }).toJSDate() : now,
          statusHistory: { create: history },
        },
      });
    }
  }
  // On the second doctor's waiting list for the coming two weeks: a cancellation there offers the slot.
  const waitedFor = doctors[1];
  if (waitedFor) {
    const today = DateTime.fromJSDate(now, { zone: waitedFor.timezone }).startOf('day');
    const date = (days: number) => new Date(`${today.plus({ days }).toISODate()!}T00:00:00Z`);
    await tx.waitlistEntry.create({ data: { patientId, doctorId: waitedFor.id, fromDate: date(1), toDate: date(14), createdAt: now, updatedAt: now } });
  }
}
