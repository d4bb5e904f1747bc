-- Time off for doctors, and no overlapping weekly windows per doctor (hand-written parts marked).
-- CreateTable
CREATE TABLE "doctor_time_off" (
    "id" UUID NOT NULL,
    "doctor_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" VARCHAR(500) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doctor_time_off_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "doctor_time_off_doctor_id_starts_at_idx" ON "doctor_time_off"("doctor_id", "starts_at");

-- AddForeignKey
ALTER TABLE "doctor_time_off" ADD CONSTRAINT "doctor_time_off_doctor_id_fkey" FOREIGN KEY ("doctor_id") REFERENCES "doctors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- hand-written: Prisma does not read check or exclusion constraints back, so they never show up as drift.

-- Two windows of one doctor overlap when they share a weekday, their wall-clock times overlap
-- (half-open, so 09:00-12:00 and 12:00-17:00 are fine; end_time may be 24:00) and their
-- validity periods overlap (both dates included; NULL leaves that side open).
ALTER TABLE "available_times" ADD CONSTRAINT "available_times_no_overlap"
    EXCLUDE USING gist (
        "doctor_id" WITH =,
        "weekday" WITH =,
        tsrange(DATE '2000-01-01' + "start_time", DATE '2000-01-01' + "end_time", '[)') WITH &&,
        daterange("valid_from", "valid_until", '[]') WITH &&
    );

ALTER TABLE "available_times" ADD CONSTRAINT "available_times_valid_order"
    CHECK ("valid_until" IS NULL OR "valid_from" IS NULL OR "valid_until" >= "valid_from");

ALTER TABLE "doctor_time_off" ADD CONSTRAINT "doctor_time_off_time_order" CHECK ("ends_at" > "starts_at");
