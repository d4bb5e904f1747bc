-- AlterEnum
ALTER TYPE "appointment_status" ADD VALUE 'rescheduled';

-- AlterTable
ALTER TABLE "appointments" ADD COLUMN     "late_cancel" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "rescheduled_from_id" UUID,
ADD COLUMN     "series_id" UUID;

-- CreateIndex
CREATE INDEX "appointments_series_id_idx" ON "appointments"("series_id");

-- CreateIndex
CREATE UNIQUE INDEX "appointments_rescheduled_from_id_key" ON "appointments"("rescheduled_from_id");

-- AddForeignKey
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_rescheduled_from_id_fkey" FOREIGN KEY ("rescheduled_from_id") REFERENCES "appointments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
