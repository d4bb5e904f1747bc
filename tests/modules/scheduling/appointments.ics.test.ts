// Unit tests of the appointment invitation, read back with node-ical: method, UID, sequence, times, status, escaping.
import ical, { type VEvent } from 'node-ical';
import { describe, expect, it } from 'vitest';
import {
  appointmentInvitation,
  invitationUid,
  type AppointmentInvitationInput,
} from '../../../src/modules/scheduling/appointments.ics.ts';

const appointmentId = '0190f1e2-aaaa-7bbb-8ccc-123456789abc';

function invitation(overrides: Partial<AppointmentInvitationInput> = {}): string {
  return appointmentInvitation({
    uid: appointmentId,
    sequence: 0,
    method: 'REQUEST',
    startsAt: new Date('2026-12-01T09:30:00Z'),
    endsAt: new Date('2026-12-01T10:00:00Z'),
    summary: 'Appointment with Dr. Grey',
    organizer: { name: 'Clinic', email: 'noreply@clinic.test' },
    attendee: { name: 'Jane Doe', email: 'jane@example.test' },
    now: new Date('2026-11-20T08:00:00Z'),
    ...overrides,
  });
}

/** The single VEVENT of an .ics text, and the calendar's METHOD. */
function parse(text: string): { event: VEvent; method: string | undefined } {
  const parsed = ical.sync.parseICS(text);
  const events = Object.values(parsed).filter((component): component is VEvent => component?.type === 'VEVENT');
  expect(events).toHaveLength(1);
  return { event: events[0]!, method: parsed.vcalendar?.method };
}

function text(value: VEvent['summary'] | undefined): string | undefined {
  return typeof value === 'object' ? value.val : value;
}

/** Unfolded content lines (RFC 5545 §3.1: a CRLF followed by a space or tab continues a line). */
function contentLines(ics: string): string[] {
  return ics.replace(/\r\n[ \t]/g, '').split('\r\n');
}

describe('appointmentInvitation', () => {
  it('writes a REQUEST with a stable UID, the sequence, UTC times, DTSTAMP from now and STATUS:CONFIRMED', () => {
    const ics = invitation({ sequence: 3 });
    const { event, method } = parse(ics);
    expect(method).toBe('REQUEST');
    expect(event.uid).toBe(`${appointmentId}@clinic-api`);
    expect(event.uid).toBe(invitationUid(appointmentId));
    expect(event.sequence).toBe(3);
    expect(event.start.toISOString()).toBe('2026-12-01T09:30:00.000Z');
    expect(event.end?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(event.dtstamp.toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(event.status).toBe('CONFIRMED');
    expect(text(event.summary)).toBe('Appointment with Dr. Grey');
    expect(contentLines(ics)).toEqual(
      expect.arrayContaining(['DTSTART:20261201T093000Z', 'DTEND:20261201T100000Z', 'DTSTAMP:20261120T080000Z']),
    );
  });

  it('writes a CANCEL for the same UID with STATUS:CANCELLED', () => {
    const request = parse(invitation({ sequence: 0 }));
    const cancel = parse(invitation({ method: 'CANCEL', sequence: 1, now: new Date('2026-11-21T08:00:00Z') }));
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.event.uid).toBe(request.event.uid);
    expect(cancel.event.sequence).toBe(1);
    expect(cancel.event.status).toBe('CANCELLED');
    expect(cancel.event.dtstamp.toISOString()).toBe('2026-11-21T08:00:00.000Z');
  });

  it('names organizer and attendee; asks for no reply', () => {
    const { event } = parse(invitation());
    expect(event.organizer).toEqual({ params: { CN: 'Clinic' }, val: 'mailto:noreply@clinic.test' });
    expect(event.attendee).toMatchObject({
      params: { CN: 'Jane Doe', ROLE: 'REQ-PARTICIPANT', PARTSTAT: 'ACCEPTED', RSVP: false },
    });
    expect(text(event.attendee as VEvent['summary'])?.toLowerCase()).toBe('mailto:jane@example.test');
  });

  it('carries the description, the link and the display time zone when given, and omits them otherwise', () => {
    const full = invitation({
      description: 'Bring your insurance card.',
      publicUrl: 'https://clinic.test/appointments/1',
      timezone: 'Europe/Berlin',
    });
    const { event } = parse(full);
    expect(text(event.description)).toBe('Bring your insurance card.');
    expect(event.url).toMatchObject({ val: 'https://clinic.test/appointments/1' });
    expect(contentLines(full)).toContain('X-WR-TIMEZONE:Europe/Berlin');
    // Times stay UTC: a TZID would need a VTIMEZONE block.
    expect(full).not.toContain('TZID');

    const bare = invitation();
    expect(bare).not.toMatch(/^(DESCRIPTION|URL|X-WR-TIMEZONE)[;:]/m);
  });

  it('round-trips a summary with commas, semicolons, backslashes and newlines, and it cannot inject a property', () => {
    const summary = 'Check-up, Dr. "Who"; room 3\\4\nATTENDEE:mailto:evil@attacker.test\nMETHOD:PUBLISH';
    const ics = invitation({ summary, description: 'Notes\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil' });
    const lines = contentLines(ics);
    // Every user-supplied line break stayed inside the one SUMMARY / DESCRIPTION line.
    expect(lines.filter((line) => line.startsWith('ATTENDEE'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('METHOD'))).toEqual(['METHOD:REQUEST']);
    expect(lines.filter((line) => line.startsWith('UID'))).toHaveLength(1);
    expect(lines.filter((line) => line === 'END:VEVENT')).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('SUMMARY:'))).toBe(
      'SUMMARY:Check-up\\, Dr. "Who"\\; room 3\\\\4\\nATTENDEE:mailto:evil@attacker.test\\nMETHOD:PUBLISH',
    );

    const { event, method } = parse(ics);
    expect(method).toBe('REQUEST');
    expect(text(event.summary)).toBe(summary);
    expect(text(event.description)).toBe('Notes\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil');
    expect(event.uid).toBe(`${appointmentId}@clinic-api`);
    expect(Array.isArray(event.attendee)).toBe(false);
  });

  it('keeps names inside their quoted parameter, drops control characters and folds long lines', () => {
    const summary = `Zahnärztliche Kontrolle ✓ ${'ü'.repeat(80)}\u0007`;
    const ics = invitation({ summary, attendee: { name: 'Jane "JD"\nDoe', email: 'jane@example.test' } });
    const lines = contentLines(ics);
    expect(lines.filter((line) => line.startsWith('ATTENDEE'))).toHaveLength(1);
    expect(ics).not.toContain('\u0007');
    // RFC 5545 §3.1: no physical line longer than 75 octets.
    for (const physical of ics.split('\r\n')) expect(Buffer.byteLength(physical)).toBeLessThanOrEqual(75);
    expect(text(parse(ics).event.summary)).toBe(summary.slice(0, -1));
  });

  it('refuses a negative or fractional sequence and an end that is not after the start', () => {
    expect(() => invitation({ sequence: -1 })).toThrow(RangeError);
    expect(() => invitation({ sequence: 1.5 })).toThrow(RangeError);
    expect(() => invitation({ endsAt: new Date('2026-12-01T09:30:00Z') })).toThrow(RangeError);
  });
});
