// What the doctors module holds about a user, for their data export: the doctor profile and its qualifications.
import type { DbClient } from '../../lib/db.ts';

export async function doctorDataOf(db: DbClient, userId: string) {
  return db.doctor.findUnique({
    where: { userId },
    select: {
      id: true,
      bio: true,
      fee: true,
      yearsOfExperience: true,
      acceptingPatients: true,
      autoConfirm: true,
      timezone: true,
      avatarId: true,
      ratingAverage: true,
      ratingCount: true,
      deletedAt: true,
      createdAt: true,
      updatedAt: true,
      specializations: { select: { specialization: { select: { id: true, name: true, slug: true } } } },
      designations: { select: { designation: { select: { id: true, name: true, slug: true } } } },
      qualifications: {
        select: { id: true, degree: true, institution: true, year: true, documentId: true, status: true, note: true, reviewedAt: true, createdAt: true },
        orderBy: { createdAt: 'asc' },
      },
    },
  });
}
