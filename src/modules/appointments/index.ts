// The appointments module: booking, the status workflow, notifications and reminders.
import type { ModuleDescriptor } from '../module.ts';
import { appointmentJobs } from './appointments.jobs.ts';
import appointmentsRoutes from './appointments.routes.ts';

export const appointmentsModule: ModuleDescriptor = {
  name: 'appointments',
  prefix: '/appointment',
  routes: appointmentsRoutes,
  tag: { name: 'appointments', description: 'Booking, the appointment status workflow, notifications and reminders.' },
  jobs: appointmentJobs,
};
