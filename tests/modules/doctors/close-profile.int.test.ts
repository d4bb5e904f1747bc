// A doctor closing their profile (DELETE doctor/profile/me/): the profile leaves the public list,
// appointments that have not started are cancelled in the same transaction with a status row by
// the doctor, and each patient is mailed the cancellation invitation (METHOD:CANCEL). Past
// appointments and other doctors' appointments stay as they are.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../../src/lib/db.ts';
import { CLOSED_PROFILE_NOTE } from '../../../src/modules/doctors/doctors.service.ts';
import { loginAs, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API } from '../../helpers/http.ts';
import { addDailyWindows, book, freeSlots, invitationOf, localDate, mailTo } from '../../helpers/scheduling.ts';
import { drainJobs, waitUntil } from '../../helpers/wait.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const tag = randomUUID().slice(0, 6);

const t = useTestApp();

type Status = 'requested' | 'pending' | 'confirmed' | 'completed' | 'cancelled' | 'rejected' | 'no_show';

async function appointment(db: Db, doctor: Actor<'doctor'>, patient: Actor<'patient'>, startsAt: Date, status: Status): Promise<string> {
  const row = await db.appointment.create({
    data: {
      doctorId: doctor.profileId,
      patientId: patient.profileId,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 30 * 60_000),
      status,
      reason: 'Check-up',
      statusHistory: { create: { status, changedById: patient.user.id } },
    },
    select: { id: true },
  });
  return row.id;
}

const statusOf = async (id: string) => (await t.db.appointment.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
const listed = async (search: string) => {
  const response = await t.app.inject({ method: 'GET', url: `${API}/doctor/list/?search=${search}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ count: number }>().count;
};

describe('DELETE doctor/profile/me/', () => {
  it('cancels future active appointments and mails each patient METHOD:CANCEL; past ones and other doctors’ stay', async () => {
    const leaving = await loginAs(t, 'doctor', { firstName: 'Leaving', lastName: `Closing${tag}` });
    const staying = await loginAs(t, 'doctor', { firstName: 'Staying', lastName: `Open${tag}` });
    const ann = await loginAs(t, 'patient', { firstName: 'Ann' });
    const bob = await loginAs(t, 'patient', { firstName: 'Bob' });
    const now = Date.now();

    const annConfirmed = await appointment(t.db, leaving, ann, new Date(now + 2 * DAY_MS), 'confirmed');
    const annRequested = await appointment(t.db, leaving, ann, new Date(now + 3 * DAY_MS), 'requested');
    const bobPending = await appointment(t.db, leaving, bob, new Date(now + 4 * DAY_MS), 'pending');
    const bobRejected = await appointment(t.db, leaving, bob, new Date(now + 5 * DAY_MS), 'rejected');
    const past = await appointment(t.db, leaving, bob, new Date(now - 2 * DAY_MS), 'confirmed');
    const otherDoctors = await appointment(t.db, staying, ann, new Date(now + 2 * DAY_MS), 'confirmed');
    expect(await listed(`Closing${tag}`)).toBe(1);

    const response = await t.app.inject({ method: 'DELETE', url: `${API}/doctor/profile/me/`, headers: leaving.headers });
    expect(response.statusCode, response.body).toBe(204);

    for (const id of [annConfirmed, annRequested, bobPending]) {
      expect(await statusOf(id)).toBe('cancelled');
      const last = await t.db.appointmentStatusChange.findFirstOrThrow({ where: { appointmentId: id }, orderBy: { at: 'desc' }, select: { status: true, changedById: true, note: true } });
      expect(last).toEqual({ status: 'cancelled', changedById: leaving.user.id, note: CLOSED_PROFILE_NOTE });
    }
    expect(await statusOf(bobRejected)).toBe('rejected');
    expect(await statusOf(past)).toBe('confirmed');
    expect(await t.db.appointmentStatusChange.count({ where: { appointmentId: past } })).toBe(1);
    expect(await statusOf(otherDoctors)).toBe('confirmed');

    // Each patient hears of each cancelled appointment, with the invitation cancelled.
    for (const [patient, id] of [[ann, annConfirmed], [ann, annRequested], [bob, bobPending]] as const) {
      const mail = await mailTo(t, patient.user.email, 'cancelled', id);
      expect(mail.text).toContain(CLOSED_PROFILE_NOTE);
      const { method, event } = invitationOf(mail);
      expect(method).toBe('CANCEL');
      expect(String(event.status)).toBe('CANCELLED');
      expect(event.uid).toBe(`${id}@clinic-api`);
    }
    // Nothing about the past, rejected or other doctor's appointments: once every job has run.
    await drainJobs(t);
    const cancellations = t.mail.messages.filter((m) => m.subject.includes('cancelled') && (m.to === ann.user.email || m.to === bob.user.email));
    expect(cancellations).toHaveLength(3);
    for (const id of [past, bobRejected, otherDoctors]) {
      expect(t.mail.messages.some((m) => (m.attachments ?? []).some((a) => a.content.includes(id)))).toBe(false);
    }

    expect(await listed(`Closing${tag}`)).toBe(0);
    expect(await listed(`Open${tag}`)).toBe(1);

    // Deleting again is a no-op 204: nothing more is cancelled or mailed.
    const again = await t.app.inject({ method: 'DELETE', url: `${API}/doctor/profile/me/`, headers: leaving.headers });
    expect(again.statusCode).toBe(204);
    expect(await t.db.appointmentStatusChange.count({ where: { appointmentId: annConfirmed } })).toBe(2);
  });

  it('a patient booking that waited on the doctor’s booking lock while the profile closed answers 404 and books nothing', async () => {
    const doctor = await loginAs(t, 'doctor');
    const patient = await loginAs(t, 'patient');
    await addDailyWindows(t.db, doctor.profileId, '09:00', '12:00');
    const date = localDate(3);
    const [slot] = await freeSlots(t, doctor.profileId, date, date, patient.headers);

    // On a connection of its own, hold the lock the profile closing takes and close the profile under it.
    const holder = new pg.Client({ connectionString: t.config.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM pg_advisory_xact_lock(hashtext('appointments:' || $1::text))`, [doctor.profileId]);
      const booking = book(t, patient, { doctorId: doctor.profileId, startsAt: slot!.startsAt });
      // Wait until the booking is queued on the lock, past its visibility check.
      await waitUntil('the booking waits on the lock', async () => {
        const { rows } = await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        return rows[0]!.n > 0;
      }, { intervalMs: 20 });
      await holder.query('UPDATE doctors SET deleted_at = now(), accepting_patients = false WHERE id = $1::uuid', [doctor.profileId]);
      await holder.query('COMMIT');
      const response = await booking;
      expect(response.statusCode, response.body).toBe(404);
    } finally {
      await holder.end();
    }
    expect(await t.db.appointment.count({ where: { doctorId: doctor.profileId } })).toBe(0);
  });
});
