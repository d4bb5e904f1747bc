-- CreateEnum
CREATE TYPE "waitlist_status" AS ENUM ('waiting', 'offered', 'booked', 'expired', 'cancelled');

-- AlterTable
ALTER TABLE "slot_holds" ADD COLUMN     "waitlist_entry_id" UUID;

-- CreateTable
CREATE TABLE "waitlist_entries" (
    "id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "from_date" DATE NOT NULL,
    "to_date" DATE NOT NULL,
    "status" "waitlist_status" NOT NULL DEFAULT 'waiting',
    "offer_hold_id" UUID,
    "offer_starts_at" TIMESTAMPTZ(3),
    "offer_ends_at" TIMESTAMPTZ(3),
    "offer_expires_at" TIMESTAMPTZ(3),
    "appointment_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "waitlist_entries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "waitlist_entries_doctor_id_status_created_at_idx" ON "waitlist_entries"("doctor_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "waitlist_entries_patient_id_created_at_idx" ON "waitlist_entries"("patient_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "slot_holds_waitlist_entry_id_key" ON "slot_holds"("waitlist_entry_id");

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_waitlist_entry_id_fkey" FOREIGN KEY ("waitlist_entry_id") REFERENCES "waitlist_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_doctor_id_fkey" FOREIGN KEY ("doctor_id") REFERENCES "doctors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- hand-written: Prisma does not model partial indexes or check constraints.

-- A patient keeps one hold of their own; waitlist offers held for them come on top of it.
DROP INDEX "slot_holds_patient_id_key";
CREATE UNIQUE INDEX "slot_holds_patient_id_key" ON "slot_holds"("patient_id") WHERE "waitlist_entry_id" IS NULL;

ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_date_order" CHECK ("to_date" >= "from_date");
-- The offer_* columns outlive the offer (the last slot offered is not offered to the entry again at once).
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_offer_complete" CHECK (
    "status" <> 'offered' OR ("offer_hold_id" IS NOT NULL AND "offer_starts_at" IS NOT NULL AND "offer_ends_at" IS NOT NULL AND "offer_expires_at" IS NOT NULL)
);
