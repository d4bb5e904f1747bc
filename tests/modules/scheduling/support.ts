// Shared pieces of the appointments integration tests: free slots, bookings and invitations.
import ical, { type VEvent } from 'node-ical';
import { expect } from 'vitest';
import type { MailMessage } from '../../../src/lib/mailer.ts';
import type { TestApp } from '../../helpers/app.ts';
import type { Party } from '../../helpers/scheduling-factories.ts';
import { call } from '../../helpers/scheduling-calls.ts';

export { call };

export interface Slot {
  startsAt: string;
  endsAt: string;
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
  statusHistory: { status: string; at: string; by: string | null; note: string | null }[];
  createdAt: string;
}

export async function freeSlots(t: TestApp, doctorId: string, from: string, to: string, headers: Record<string, string>): Promise<Slot[]> {
  const response = await call(t.app, 'GET', `doctor/available-times-patient/?doctorId=${doctorId}&from=${from}&to=${to}`, { headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Slot[]>();
}

export function book(t: TestApp, patient: Party, payload: Record<string, unknown>, key?: string) {
  return call(t.app, 'POST', 'appointment/patient/', {
    headers: { ...patient.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
}

export function bookForPatient(t: TestApp, doctor: Party, payload: Record<string, unknown>, key?: string) {
  return call(t.app, 'POST', 'appointment/doctor/', {
    headers: { ...doctor.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
}

export function setStatus(t: TestApp, doctor: Party, id: string, status: string, note?: string) {
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
