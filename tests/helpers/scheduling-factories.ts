// Kept for the tests outside tests/modules that still import it: actors come from loginAs in
// actors.ts, windows and dates from scheduling.ts.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/lib/db.ts';
import { loginAs, type Actor, type DoctorOptions, type UserOptions } from './actors.ts';

export { addDailyWindows, localDate } from './scheduling.ts';

export type Party = Actor<'doctor' | 'patient'>;

/** loginAs(t, 'doctor', options) with the old argument order. */
export const createDoctor = (db: Db, app: FastifyInstance, options: DoctorOptions = {}) => loginAs({ db, app }, 'doctor', options);

/** loginAs(t, 'patient', options) with the old argument order. */
export const createPatient = (db: Db, app: FastifyInstance, options: UserOptions = {}) => loginAs({ db, app }, 'patient', options);
