// Zod schemas of the waitlist.
import { z } from 'zod';
import { isoDate } from '../../schemas/common.ts';
import { pageQuerySchema } from '../../schemas/pagination.ts';
import { safeString } from '../../lib/strings.ts';

export const WAITLIST_STATUSES = ['waiting', 'offered', 'booked', 'expired', 'cancelled'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

export const createEntryBody = z
  .strictObject({
    doctorId: z.uuid(),
    from: isoDate().describe('First date wanted, in the doctor’s time zone; not in the past'),
    to: isoDate().describe('Last date wanted (included), at most 31 days after `from` counting both'),
  })
  .meta({ id: 'CreateWaitlistEntryRequest' });
export type CreateEntryInput = z.output<typeof createEntryBody>;

export const acceptOfferBody = z
  .strictObject({
    type: z.enum(['in_person', 'online']),
    reason: safeString({ max: 2000, multiline: true }).default(''),
  })
  .meta({ id: 'AcceptWaitlistOfferRequest' });
export type AcceptOfferInput = z.output<typeof acceptOfferBody>;

export const listEntriesQuery = pageQuerySchema;

export const entrySchema = z
  .object({
    id: z.uuid(),
    doctorId: z.uuid(),
    from: z.string(),
    to: z.string(),
    status: z.enum(WAITLIST_STATUSES),
    offer: z
      .object({ holdId: z.uuid(), startsAt: z.string(), endsAt: z.string(), expiresAt: z.string() })
      .nullable()
      .describe('While `offered`: the slot held for you until `expiresAt`'),
    createdAt: z.string(),
  })
  .meta({ id: 'WaitlistEntry' });
export type EntryOut = z.output<typeof entrySchema>;

/** What the scheduling module announces when it offers a freed slot (lib/events.ts). */
export interface WaitlistOfferedEvent {
  /** The entry as the API answers it, now `offered`. */
  entry: EntryOut;
  /** The account of the patient it was offered to (the SMS notice goes to them). */
  patientUserId: string;
}

declare module '../../lib/events.ts' {
  interface EventPayloads {
    /** A freed slot is held for a waiting patient, who is told (mail here; SMS subscribes to this event). */
    'waitlist.offered': WaitlistOfferedEvent;
  }
}
