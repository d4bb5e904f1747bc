// Helpers of the scheduling tests: weekly windows and dates, free slots, bookings, status changes,
// appointments made in the database, and the mails and calendar invitations they send.
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import ical, { type VEvent } from 'node-ical';
import { expect } from 'vitest';
import type { Db } from '../../src/lib/db.ts';
import { uuidv7 } from '../../src/lib/ids.ts';
import type { MailMessage } from '../../src/lib/mailer.ts';
import type { Actor } from './actors.ts';
import type { TestApp } from './app.ts';
import { API, type Method } from './http.ts';

/** A request to `${API}/<path>` exactly as written (slash and query included). */
export function call(
  app: FastifyInstance,
  method: Method,
  path: string,
  options: { headers?: Record<string, string>; payload?: unknown } = {},
) {
  return app.inject({
    method,
    url: `${API}/${path}`,
    headers: options.headers,
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  });
}

/** Inserts a weekly window straight into the database (times `HH:MM`, `24:00` allowed). */
export async function addWindow(
  db: Db,
  doctorId: string,
  window: { weekday: number; startTime: string; endTime: string; slotMinutes?: number },
): Promise<string> {
  const id = uuidv7();
  await db.$executeRaw`
    INSERT INTO available_times (id, doctor_id, weekday, start_time, end_time, slot_minutes, created_at, updated_at)
    VALUES (${id}::uuid, ${doctorId}::uuid, ${window.weekday}::smallint, ${window.startTime}::time, ${window.endTime}::time,
            ${window.slotMinutes ?? 30}::smallint, now(), now())`;
  return id;
}

/** Windows on every weekday, so any date has slots. */
export async function addDailyWindows(db: Db, doctorId: string, startTime: string, endTime: string, slotMinutes = 30): Promise<void> {
  for (let weekday = 0; weekday < 7; weekday += 1) await addWindow(db, doctorId, { weekday, startTime, endTime, slotMinutes });
}

/** A local date `days` after today in `zone`, as `YYYY-MM-DD`. */
export function localDate(days: number, zone = 'UTC'): string {
  return DateTime.now().setZone(zone).plus({ days }).toISODate()!;
}

/** The weekday (0 = Sunday) of a `YYYY-MM-DD` date. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** A past completed appointment between a doctor and a patient (by profile ids), made in the database. */
export async function createAppointment(db: Db, doctorId: string, patientId: string, startsAt = new Date(Date.now() - 86_400_000)) {
  return db.appointment.create({
    data: { doctorId, patientId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), status: 'completed' },
    select: { id: true },
  });
}

export interface Slot {
  startsAt: string;
  endsAt: string;
}

/** Who made a status change: a party by profile id, an admin by user id, or the system. */
export interface ChangedBy {
  role: 'patient' | 'doctor' | 'admin' | 'system';
  id: string | null;
  firstName: string | null;
  lastName: string | null;
}

export interface Appointment {
  id: string;
  patient: { id: string; firstName: string; lastName: string; email: string };
  doctor: { id: string; firstName: string; lastName: string };
  startsAt: string;
  endsAt: string;
  type: string;
  reason: string;
  status: string;
  statusHistory: { status: string; at: string; by: ChangedBy; note: string | null }[];
  createdAt: string;
}

export async function freeSlots(t: TestApp, doctorId: string, from: string, to: string, headers: Record<string, string>): Promise<Slot[]> {
  const response = await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${doctorId}&from=${from}&to=${to}`, { headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Slot[]>();
}

/** POST appointment/patient/ as the patient, with an idempotency key when given. */
export function book(t: TestApp, patient: Pick<Actor, 'headers'>, payload: Record<string, unknown>, key?: string) {
  return call(t.app, 'POST', 'appointment/patient/', {
    headers: { ...patient.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
}

/** POST appointment/doctor/ as the doctor, booking for a patient. */
export function bookForPatient(t: TestApp, doctor: Pick<Actor, 'headers'>, payload: Record<string, unknown>, key?: string) {
  return call(t.app, 'POST', 'appointment/doctor/', {
    headers: { ...doctor.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
}

export function setStatus(t: TestApp, doctor: Pick<Actor, 'headers'>, id: string, status: string, note?: string) {
  return call(t.app, 'PATCH', `appointment/doctor/${id}/update_status/`, {
    headers: doctor.headers,
    payload: { status, ...(note === undefined ? {} : { note }) },
  });
}

/** The invitation attached to a mail: its calendar METHOD and single event. */
export function invitationOf(message: MailMessage): { method: string | undefined; event: VEvent } {
  const attachment = message.attachments?.find((a) => a.filename.endsWith('.ics'));
  expect(attachment, `no .ics in "${message.subject}"`).toBeDefined();
  expect(attachment!.contentType).toMatch(/^text\/calendar/);
  const parsed = ical.sync.parseICS(attachment!.content);
  const events = Object.values(parsed).filter((component): component is VEvent => component?.type === 'VEVENT');
  expect(events).toHaveLength(1);
  return { method: parsed.vcalendar?.method, event: events[0]! };
}

/**
 * Waits for a mail to `to` whose subject contains `part` and, when given, whose text or
 * attachments contain `contains` (mail is delivered by a worker, so order of arrival is not
 * the order of requests: match on content, not on position).
 */
export function mailTo(t: TestApp, to: string, part: string, contains?: string, timeoutMs?: number): Promise<MailMessage> {
  const has = (m: MailMessage) =>
    contains === undefined || m.text.includes(contains) || (m.attachments ?? []).some((a) => a.content.includes(contains));
  return t.mail.waitFor((m) => m.to === to && m.subject.includes(part) && has(m), timeoutMs);
}

/** PUT doctor/booking-rules/ (whole object; left-out fields take their defaults); `query` e.g. `?doctorId=` for admins. */
export function putRules(t: TestApp, manager: Pick<Actor, 'headers'>, rules: Record<string, unknown>, query = '') {
  return call(t.app, 'PUT', `doctor/booking-rules/${query}`, { headers: manager.headers, payload: rules });
}

/** POST appointment/holds/ as the patient. */
export function hold(t: TestApp, patient: Pick<Actor, 'headers'>, payload: Record<string, unknown>) {
  return call(t.app, 'POST', 'appointment/holds/', { headers: patient.headers, payload });
}
