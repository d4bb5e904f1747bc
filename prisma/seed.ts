// Demo data for trying the API: catalogues, a handful of doctors with weekly availability and
// an admin with a generated password. Loads once; a database that has data is left alone.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createDb, type Db } from '../src/lib/db.ts';
import { hashPassword } from '../src/lib/password.ts';
import { DEMO_PATIENT_EMAIL, seedDemoAppointments } from './seed-appointments.ts';
import { seedDemoReviews } from './seed-reviews.ts';

const SPECIALIZATIONS = [
  ['General Medicine', 'general-medicine', 'Primary care for adults: check-ups, common illnesses, referrals.'],
  ['Cardiology', 'cardiology', 'Heart and blood vessels.'],
  ['Dermatology', 'dermatology', 'Skin, hair and nails.'],
  ['Pediatrics', 'pediatrics', 'Care for infants, children and teenagers.'],
  ['Neurology', 'neurology', 'Brain, spinal cord and nerves.'],
  ['Orthopedics', 'orthopedics', 'Bones, joints and muscles.'],
] as const;

const DESIGNATIONS = [
  ['Consultant', 'consultant'],
  ['Senior Consultant', 'senior-consultant'],
  ['Resident', 'resident'],
  ['Professor', 'professor'],
] as const;

const SERVICES = [
  ['General check-up', 'general-check-up', 'A yearly health check with a general practitioner.'],
  ['Vaccination', 'vaccination', 'Routine and travel vaccines.'],
  ['Laboratory tests', 'laboratory-tests', 'Blood and urine tests with results online.'],
  ['Online consultation', 'online-consultation', 'See a doctor by video call.'],
] as const;

// Fictional people; emails use the reserved example.com domain.
const DOCTORS = [
  { first: 'Amara', last: 'Okafor', specialization: 'general-medicine', designation: 'consultant', fee: '40.00', years: 8, tz: 'Europe/London' },
  { first: 'Lukas', last: 'Brandt', specialization: 'cardiology', designation: 'senior-consultant', fee: '90.00', years: 15, tz: 'Europe/Berlin' },
  { first: 'Mei', last: 'Tanaka', specialization: 'dermatology', designation: 'consultant', fee: '70.00', years: 6, tz: 'Asia/Tokyo' },
  { first: 'Diego', last: 'Alvarez', specialization: 'pediatrics', designation: 'resident', fee: '35.00', years: 3, tz: 'America/Mexico_City' },
  { first: 'Sara', last: 'Lindqvist', specialization: 'neurology', designation: 'professor', fee: '120.00', years: 22, tz: 'Europe/Stockholm' },
] as const;

/** Weekdays 1..5 (Monday..Friday), two windows a day, in each doctor's time zone. */
const WEEKLY_WINDOWS = [1, 2, 3, 4, 5].flatMap((weekday) => [
  { weekday, start: '09:00', end: '12:00' },
  { weekday, start: '14:00', end: '17:00' },
]);

const doctorEmail = (doctor: { first: string; last: string }) => `${doctor.first}.${doctor.last}@example.com`.toLowerCase();

const timeOfDay = (hhmm: string) => new Date(`1970-01-01T${hhmm}:00Z`);

export const DEMO_ADMIN_EMAIL = 'admin@example.com';

export interface DemoCredentials {
  admin: { email: string; password: string };
  doctors: { emails: string[]; password: string };
  /** Has a few appointments; uses the doctors' password. */
  patient: { email: string };
}

/** Loads the demo data unless the database already has some; returns the demo logins when it did. */
export async function seedDemoData(db: Db): Promise<DemoCredentials | null> {
  if ((await db.specialization.count()) > 0) return null;

  const adminPassword = randomBytes(12).toString('base64url');
  const doctorPassword = randomBytes(12).toString('base64url');
  const [adminHash, doctorHash] = await Promise.all([hashPassword(adminPassword), hashPassword(doctorPassword)]);

  await db.$transaction(async (tx) => {
    await tx.specialization.createMany({ data: SPECIALIZATIONS.map(([name, slug, description]) => ({ name, slug, description })) });
    await tx.designation.createMany({ data: DESIGNATIONS.map(([name, slug]) => ({ name, slug })) });
    await tx.service.createMany({ data: SERVICES.map(([name, slug, description]) => ({ name, slug, description })) });
    await tx.user.create({
      data: { email: DEMO_ADMIN_EMAIL, passwordHash: adminHash, firstName: 'Demo', lastName: 'Admin', role: 'admin', isActive: true },
    });
    for (const doctor of DOCTORS) {
      await tx.user.create({
        data: {
          email: doctorEmail(doctor),
          passwordHash: doctorHash,
          firstName: doctor.first,
          lastName: doctor.last,
          role: 'doctor',
          isActive: true,
          doctor: {
            create: {
              bio: `Dr. ${doctor.first} ${doctor.last} has ${doctor.years} years of experience.`,
              fee: doctor.fee,
              yearsOfExperience: doctor.years,
              timezone: doctor.tz,
              specializations: { create: { specialization: { connect: { slug: doctor.specialization } } } },
              designations: { create: { designation: { connect: { slug: doctor.designation } } } },
              availableTimes: {
                create: WEEKLY_WINDOWS.map((window) => ({
                  weekday: window.weekday,
                  startTime: timeOfDay(window.start),
                  endTime: timeOfDay(window.end),
                  slotMinutes: 30,
                })),
              },
            },
          },
        },
      });
    }
    await seedDemoAppointments(tx, doctorHash, new Date());
    await seedDemoReviews(tx);
  });
  return {
    admin: { email: DEMO_ADMIN_EMAIL, password: adminPassword },
    doctors: { emails: DOCTORS.map(doctorEmail), password: doctorPassword },
    patient: { email: DEMO_PATIENT_EMAIL },
  };
}

export function describeCredentials(credentials: DemoCredentials): string {
  return [
    `Demo admin: ${credentials.admin.email} / ${credentials.admin.password}`,
    `Demo doctors (${credentials.doctors.emails.join(', ')}) / ${credentials.doctors.password}`,
    `Demo patient with a few appointments: ${credentials.patient.email} / the doctors' password`,
    'These passwords are shown only now.',
  ].join('\n');
}

// `npm run db:seed`: seeds DATABASE_URL (or the embedded database) and prints the demo logins once.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { withScriptDatabase } = await import('../scripts/script-db.ts');
  await withScriptDatabase(async (url) => {
    const db = createDb({ url, poolSize: 1 });
    try {
      const credentials = await seedDemoData(db);
      console.log(credentials ? describeCredentials(credentials) : 'The database already has data; nothing loaded.');
    } finally {
      await db.$disconnect();
    }
  });
}
