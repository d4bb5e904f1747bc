// E-mails about appointments: the other party hears of every booking and status change (with an
// .ics invitation when it is confirmed or cancelled), and patients get reminders at the hours and
// on the channels (e-mail, SMS) they chose.
import { DateTime } from 'luxon';
import { inTransaction, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { enqueueMail } from '../../lib/mail-queue.ts';
import { enqueueSms } from '../../lib/sms-queue.ts';
import { APP_NAME, noticeMail } from '../../lib/mail-templates.ts';
import type { MailAttachment } from '../../lib/mailer.ts';
import { notificationSettingsOf, type NotificationSettings } from '../accounts/index.ts';
import { appointmentInvitation } from './appointments.ics.ts';
import { lockForReminder } from './appointments.queries.ts';
import type { AppointmentStatus } from './appointments.schemas.ts';

export const REMINDER_QUEUE = 'appointments.reminder';
const HOUR_MS = 3600 * 1000;

const STATUS_WORDS: Record<AppointmentStatus, string> = {
  requested: 'requested',
  pending: 'awaiting confirmation',
  confirmed: 'confirmed',
  completed: 'completed',
  cancelled: 'cancelled',
  rejected: 'declined',
  no_show: 'marked as missed',
  rescheduled: 'moved',
};

/** What the mails need to know about one appointment, read inside the caller's transaction. */
async function loadAppointment(tx: DbClient, id: string) {
  const person = { select: { email: true, firstName: true, lastName: true, deletedAt: true, isActive: true } } as const;
  return tx.appointment.findUniqueOrThrow({
    where: { id },
    select: {
      id: true,
      startsAt: true,
      endsAt: true,
      status: true,
      type: true,
      reason: true,
      seriesId: true,
      doctor: { select: { timezone: true, user: person } },
      patient: { select: { userId: true, user: person } },
    },
  });
}

/**
 * The calendar identity of an appointment: a reschedule chain is one calendar event, so its UID
 * is the chain's first appointment and its SEQUENCE counts the changes along the whole chain.
 */
async function calendarIdentity(tx: DbClient, appointment: { id: string; seriesId: string | null }): Promise<{ uid: string; sequence: number }> {
  const uid = appointment.seriesId ?? appointment.id;
  const changes = await tx.appointmentStatusChange.count({ where: { appointment: { OR: [{ id: uid }, { seriesId: uid }] } } });
  return { uid, sequence: Math.max(0, changes - 1) };
}

const fullName = (user: { firstName: string; lastName: string }) => `${user.firstName} ${user.lastName}`.trim();

/** The sender address of EMAIL_FROM (`Name <address>` or a bare address). */
function senderAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from;
}

function whenText(startsAt: Date, timezone: string): string {
  return `${DateTime.fromJSDate(startsAt, { zone: timezone }).toFormat('cccc d LLLL yyyy, HH:mm')} (${timezone})`;
}

/**
 * Mails `recipient` (the party who did not make the change) about the appointment's current
 * status, inside `tx`. Confirmed appointments carry a METHOD:REQUEST invitation, cancelled ones
 * METHOD:CANCEL; the SEQUENCE is the number of changes so far (along a reschedule chain, which
 * keeps one UID), so each one replaces the last.
 */
export async function notifyParty(
  tx: TxContext,
  input: { appointmentId: string; recipient: 'patient' | 'doctor'; note?: string | null },
): Promise<void> {
  const { recipient, note } = input;
  const appointment = await loadAppointment(tx.db, input.appointmentId);
  const to = recipient === 'patient' ? appointment.patient.user : appointment.doctor.user;
  const other = recipient === 'patient' ? appointment.doctor.user : appointment.patient.user;
  // Deleted accounts keep only a tombstone address.
  if (to.deletedAt) return;
  const timezone = appointment.doctor.timezone;
  const when = whenText(appointment.startsAt, timezone);
  const word = STATUS_WORDS[appointment.status];
  const withWhom = recipient === 'patient' ? `Dr ${fullName(other)}` : fullName(other) || 'a patient';
  const lines = [
    `Hello ${to.firstName || 'there'},`,
    `Your appointment with ${withWhom} on ${when} is ${word}.`,
    ...(appointment.reason ? [`Reason: ${appointment.reason}`] : []),
    ...(note ? [`Note: ${note}`] : []),
  ];
  const mail = noticeMail({ subject: `Appointment ${word}: ${when}`, lines });

  const attachments: MailAttachment[] = [];
  if (appointment.status === 'confirmed' || appointment.status === 'cancelled') {
    const method = appointment.status === 'confirmed' ? 'REQUEST' : 'CANCEL';
    const ics = appointmentInvitation({
      ...(await calendarIdentity(tx.db, appointment)),
      method,
      startsAt: appointment.startsAt,
      endsAt: appointment.endsAt,
      summary: `${APP_NAME} appointment with ${withWhom}`,
      description: appointment.reason || null,
      organizer: { name: APP_NAME, email: senderAddress(tx.config.email.from) },
      attendee: { name: fullName(to), email: to.email },
      timezone,
      now: tx.clock.now(),
    });
    attachments.push({ filename: 'appointment.ics', content: ics, contentType: `text/calendar; charset=utf-8; method=${method}` });
  }
  await enqueueMail(tx.jobs, tx.db, { to: to.email, ...mail, ...(attachments.length ? { attachments } : {}) });
}

/**
 * Schedules the patient's reminders of a confirmed appointment: one per hour of their
 * `reminderHours` and chosen channel (e-mail; SMS to a verified phone), each due that many hours
 * before the start. Each is enqueued once whatever calls this again (a job keyed by the
 * appointment, hour and channel); one already due gets none (the confirmation is recent).
 * Reminders of an appointment that is no longer confirmed, or was moved (a reschedule makes a new
 * appointment with its own), are skipped when due: sendReminder checks.
 */
export async function scheduleReminder(tx: TxContext, appointment: { id: string; startsAt: Date }): Promise<void> {
  const now = tx.clock.now();
  const { patient } = await tx.db.appointment.findUniqueOrThrow({ where: { id: appointment.id }, select: { patient: { select: { userId: true } } } });
  const settings = await notificationSettingsOf(tx.db, patient.userId);
  const channels = channelsOf(settings);
  let queued = false;
  for (const hours of settings.reminderHours) {
    const sendAt = new Date(appointment.startsAt.getTime() - hours * HOUR_MS);
    if (sendAt.getTime() <= now.getTime()) continue;
    for (const channel of channels) {
      const job: ReminderJob = { appointmentId: appointment.id, hours, channel };
      const id = await tx.jobs.enqueue(tx.db, REMINDER_QUEUE, job, { startAfter: sendAt, singletonKey: appointment.id, onceKey: `${appointment.id}:${hours}:${channel}` });
      queued ||= id !== null;
    }
  }
  if (queued) await tx.db.appointment.updateMany({ where: { id: appointment.id, reminderQueuedAt: null }, data: { reminderQueuedAt: now } });
}

/** The channels a patient's reminders go out on now. */
function channelsOf(settings: NotificationSettings): ReminderChannel[] {
  return [...(settings.email ? (['email'] as const) : []), ...(settings.sms && settings.verifiedPhone ? (['sms'] as const) : [])];
}

/** The patient changed their preferences: their upcoming confirmed appointments get the reminders newly chosen. */
export async function followPreferences(tx: TxContext, userId: string): Promise<void> {
  const upcoming = await tx.db.appointment.findMany({
    where: { status: 'confirmed', startsAt: { gt: tx.clock.now() }, patient: { userId } },
    select: { id: true, startsAt: true },
  });
  for (const appointment of upcoming) await scheduleReminder(tx, appointment);
}

export type ReminderChannel = 'email' | 'sms';

export interface ReminderJob {
  appointmentId: string;
  /** Jobs queued before reminders followed preferences carry neither: the 24 h e-mail. */
  hours?: number;
  channel?: ReminderChannel;
}

/**
 * Sends one reminder if the appointment is still confirmed and ahead, and the patient still wants
 * it (that hour, that channel); nothing otherwise. The SMS names no doctor and no reason: only
 * that there is an appointment, and when.
 */
export async function sendReminder(ctx: ServiceContext, job: ReminderJob): Promise<boolean> {
  const hours = job.hours ?? 24;
  const channel = job.channel ?? 'email';
  return inTransaction(ctx, async (tx) => {
    const row = await lockForReminder(tx.db, job.appointmentId);
    if (!row || row.status !== 'confirmed' || row.startsAt.getTime() <= tx.clock.now().getTime()) return false;
    const appointment = await loadAppointment(tx.db, job.appointmentId);
    const patient = appointment.patient.user;
    if (patient.deletedAt) return false;
    const settings = await notificationSettingsOf(tx.db, appointment.patient.userId);
    if (!(settings.reminderHours as readonly number[]).includes(hours) || !channelsOf(settings).includes(channel)) return false;
    const when = whenText(appointment.startsAt, appointment.doctor.timezone);
    if (channel === 'sms') {
      const body = `${APP_NAME}: reminder of your appointment on ${when}. If you cannot come, please cancel it.`;
      await enqueueSms(tx.jobs, tx.db, { to: settings.verifiedPhone!, body, idempotencyKey: `reminder:${appointment.id}:${hours}` });
      return true;
    }
    const mail = noticeMail({
      subject: `Reminder: appointment ${when}`,
      lines: [
        `Hello ${patient.firstName || 'there'},`,
        `This is a reminder of your appointment with Dr ${fullName(appointment.doctor.user)} on ${when}.`,
        'If you cannot come, please cancel it so someone else can have the time.',
      ],
    });
    await enqueueMail(tx.jobs, tx.db, { to: patient.email, ...mail });
    return true;
  });
}
