-- Reports and CSV exports (issue 19 items 1 and 2): the export rows, the media kind of their file, and a covering index for the appointment report (an index-only scan of a date range).
-- AlterEnum
ALTER TYPE "media_kind" ADD VALUE 'report_export';

-- CreateTable
CREATE TABLE "report_exports" (
    "id" UUID NOT NULL,
    "requester_id" UUID NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "doctor_id" UUID,
    "from_date" DATE,
    "to_date" DATE,
    "timezone" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "row_count" INTEGER,
    "media_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "ready_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "report_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "report_exports_requester_id_created_at_idx" ON "report_exports"("requester_id", "created_at");

-- CreateIndex
CREATE INDEX "appointments_report_idx" ON "appointments"("starts_at", "doctor_id", "status", "late_cancel");
