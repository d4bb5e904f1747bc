-- CreateTable
CREATE TABLE "slot_holds" (
    "id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "buffer_before_minutes" SMALLINT NOT NULL DEFAULT 0,
    "buffer_after_minutes" SMALLINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slot_holds_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "slot_holds_doctor_id_starts_at_idx" ON "slot_holds"("doctor_id", "starts_at");

-- CreateIndex
CREATE UNIQUE INDEX "slot_holds_patient_id_key" ON "slot_holds"("patient_id");

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_doctor_id_fkey" FOREIGN KEY ("doctor_id") REFERENCES "doctors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- hand-written: Prisma does not read check or exclusion constraints back.

-- Two holds of one doctor never overlap with their buffers. Expired holds cannot be left out by a
-- constraint (it cannot read the clock), so every hold write deletes the doctor's expired holds
-- first, under the doctor's calendar lock; queries ignore expired rows on their own.
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_no_overlap"
    EXCLUDE USING gist ("doctor_id" WITH =, padded_range("starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes") WITH &&);

ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_time_order" CHECK ("ends_at" > "starts_at" AND "expires_at" > "created_at");
