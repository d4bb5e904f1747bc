// The scheduling module: doctors' weekly windows and time off, the free slots patients book from,
// bookings and the appointment status workflow, notifications and reminders, booking rules,
// slot holds, the waitlist and no-shows. It owns available_times, doctor_time_off, appointments
// and their status history, doctor_booking_rules, slot_holds and waitlist_entries; other modules
// reach it through the functions below.
import type { ModuleDescriptor } from '../module.ts';
import { followPreferences } from './appointments.mails.ts';
import appointmentsRoutes from './appointments.routes.ts';
import availabilityRoutes from './availability.routes.ts';
import holdsRoutes from './holds.routes.ts';
import rulesRoutes from './rules.routes.ts';
import waitlistRoutes from './waitlist.routes.ts';
import { schedulingJobs } from './scheduling.jobs.ts';

export { cancelUpcomingOfDoctor, getAppointment, searchAppointments } from './appointments.service.ts';
export type { AppointmentOut, AppointmentStatus } from './appointments.schemas.ts';
export { doctorsAvailableOn, freeSlotsOf } from './availability.service.ts';
export { freeSlotsChanged } from './calendar.ts';
export { MAX_RANGE_DAYS } from './availability.slots.ts';
export { noShowCountsOf } from './noshows.service.ts';
export { appointmentsDataOf } from './scheduling.export.ts';

export const schedulingModule: ModuleDescriptor = {
  name: 'scheduling',
  routes: [
    { prefix: '/doctor', plugin: availabilityRoutes },
    { prefix: '/doctor', plugin: rulesRoutes },
    { prefix: '/appointment', plugin: appointmentsRoutes },
    { prefix: '/appointment', plugin: holdsRoutes },
    { prefix: '/appointment', plugin: waitlistRoutes },
  ],
  tags: [
    { name: 'availability', description: 'Doctors’ weekly windows, time off and free slots.' },
    { name: 'appointments', description: 'Booking, the appointment status workflow, notifications and reminders.' },
  ],
  jobs: schedulingJobs,
  subscriptions: [{ event: 'account.notifications_changed', handle: (tx, { userId }) => followPreferences(tx, userId) }],
};
