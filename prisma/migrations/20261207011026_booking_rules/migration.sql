-- AlterTable
ALTER TABLE "appointments" ADD COLUMN     "buffer_after_minutes" SMALLINT NOT NULL DEFAULT 0,
ADD COLUMN     "buffer_before_minutes" SMALLINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "doctor_booking_rules" (
    "doctor_id" UUID NOT NULL,
    "buffer_before_minutes" SMALLINT NOT NULL DEFAULT 0,
    "buffer_after_minutes" SMALLINT NOT NULL DEFAULT 0,
    "min_notice_minutes" INTEGER NOT NULL DEFAULT 0,
    "horizon_days" SMALLINT,
    "cancel_notice_minutes" INTEGER NOT NULL DEFAULT 0,
    "max_reschedules" SMALLINT NOT NULL DEFAULT 3,
    "auto_no_show" BOOLEAN NOT NULL DEFAULT false,
    "no_show_grace_minutes" SMALLINT NOT NULL DEFAULT 15,
    "confirm_after_no_shows" SMALLINT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doctor_booking_rules_pkey" PRIMARY KEY ("doctor_id")
);

-- AddForeignKey
ALTER TABLE "doctor_booking_rules" ADD CONSTRAINT "doctor_booking_rules_doctor_id_fkey" FOREIGN KEY ("doctor_id") REFERENCES "doctors"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- hand-written: Prisma does not read functions, check or exclusion constraints back.

-- The time an appointment (or hold) occupies: its own span widened by the doctor's buffers as of
-- booking time. Minute intervals have no day or month part, so the result does not depend on the
-- session's time zone and the function may be declared IMMUTABLE (an index needs that).
CREATE FUNCTION "padded_range"(starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, before_minutes INTEGER, after_minutes INTEGER)
RETURNS TSTZRANGE LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT tstzrange(starts_at - make_interval(mins => before_minutes), ends_at + make_interval(mins => after_minutes), '[)')
$$;

-- Two time-holding appointments of one doctor never overlap with their buffers: existing rows
-- have no buffers, so their padded interval is their own.
ALTER TABLE "appointments" DROP CONSTRAINT "appointments_no_overlap";
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_no_overlap"
    EXCLUDE USING gist ("doctor_id" WITH =, padded_range("starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes") WITH &&)
    WHERE ("status" IN ('pending', 'confirmed'));

ALTER TABLE "appointments" ADD CONSTRAINT "appointments_buffers_range"
    CHECK ("buffer_before_minutes" BETWEEN 0 AND 240 AND "buffer_after_minutes" BETWEEN 0 AND 240);

ALTER TABLE "doctor_booking_rules" ADD CONSTRAINT "doctor_booking_rules_ranges" CHECK (
    "buffer_before_minutes" BETWEEN 0 AND 240 AND "buffer_after_minutes" BETWEEN 0 AND 240
    AND "min_notice_minutes" BETWEEN 0 AND 43200 AND ("horizon_days" IS NULL OR "horizon_days" BETWEEN 1 AND 730)
    AND "cancel_notice_minutes" BETWEEN 0 AND 10080 AND "max_reschedules" BETWEEN 0 AND 20
    AND "no_show_grace_minutes" BETWEEN 5 AND 240 AND ("confirm_after_no_shows" IS NULL OR "confirm_after_no_shows" BETWEEN 1 AND 20));
