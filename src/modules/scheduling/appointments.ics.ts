// The .ics invitation (RFC 5545, iTIP METHOD REQUEST or CANCEL) that appointment e-mails attach (pure).
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';

export interface InvitationParty {
  name: string;
  email: string;
}

export interface AppointmentInvitationInput {
  /** The appointment id; the event's UID is derived from it (see `invitationUid`). */
  uid: string;
  /**
   * Revision of the invitation, a non-negative integer that grows with every change sent
   * (RFC 5546 §2.1.4): a client applies a REQUEST or CANCEL only if its SEQUENCE is not older.
   */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  startsAt: Date;
  endsAt: Date;
  summary: string;
  description?: string | null;
  /** The clinic (the sender); the attendee is the party the e-mail goes to. */
  organizer: InvitationParty;
  attendee: InvitationParty;
  /** The IANA zone the appointment is shown in; a display hint (X-WR-TIMEZONE), times stay UTC. */
  timezone?: string | null;
  /** A link to the appointment, as the event's URL. */
  publicUrl?: string | null;
  /** Stamps DTSTAMP (when this invitation was made). */
  now: Date;
}

const PROD_ID = { company: 'Clinic', product: 'Clinic API', language: 'EN' };

// RFC 5545 TEXT admits no control characters but tab and line breaks (which the library
// escapes). The API refuses the others already; dropping them here keeps this file safe alone.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function plainText(value: string): string {
  return value.replace(FORBIDDEN_CONTROLS, '');
}

/**
 * The event UID of an appointment. It never changes for the appointment, so every update and
 * the cancellation replace the same calendar entry; it does not depend on configuration (a
 * changed PUBLIC_URL must not orphan entries already in calendars).
 */
export function invitationUid(appointmentId: string): string {
  return `${appointmentId}@clinic-api`;
}

/**
 * The invitation as .ics text (CRLF lines, folded at 75 octets). Times are written in UTC, which
 * every client reads the same way; a TZID would need a VTIMEZONE block that we do not generate.
 * User text (summary, description, names) is escaped by ical-generator, so it cannot start a
 * property line of its own.
 */
export function appointmentInvitation(input: AppointmentInvitationInput): string {
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError(`sequence must be a non-negative integer, got ${input.sequence}`);
  }
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    throw new RangeError('endsAt must be after startsAt');
  }
  const cancelled = input.method === 'CANCEL';
  const calendar = ical({
    prodId: PROD_ID,
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
    ...(input.timezone ? { x: { 'X-WR-TIMEZONE': input.timezone } } : {}),
  });
  calendar.createEvent({
    id: invitationUid(input.uid),
    sequence: input.sequence,
    stamp: input.now,
    start: input.startsAt,
    end: input.endsAt,
    summary: plainText(input.summary),
    description: input.description ? plainText(input.description) : null,
    url: input.publicUrl ?? null,
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: plainText(input.organizer.name), email: input.organizer.email },
    attendees: [
      {
        name: plainText(input.attendee.name),
        email: input.attendee.email,
        role: ICalAttendeeRole.REQ,
        // The appointment is already agreed and nothing reads replies: no RSVP is asked for.
        status: ICalAttendeeStatus.ACCEPTED,
        rsvp: false,
      },
    ],
  });
  return calendar.toString();
}
