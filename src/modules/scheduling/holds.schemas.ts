// Zod schemas of slot holds.
import { z } from 'zod';
import { instant } from '../../schemas/common.ts';

export const createHoldBody = z
  .strictObject({
    doctorId: z.uuid(),
    startsAt: instant().describe('The start of a free slot, as offered by `GET doctor/available-times-patient/`'),
  })
  .meta({ id: 'CreateHoldRequest' });
export type CreateHoldInput = z.output<typeof createHoldBody>;

export const holdSchema = z
  .object({ id: z.uuid(), doctorId: z.uuid(), startsAt: z.string(), endsAt: z.string(), expiresAt: z.string() })
  .meta({ id: 'SlotHold' });
export type HoldOut = z.output<typeof holdSchema>;
