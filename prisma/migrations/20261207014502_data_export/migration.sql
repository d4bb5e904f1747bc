-- Self-service data exports (issue 18 item 3): their rows, the media kind of the file, and the file's end of service.
-- AlterEnum
ALTER TYPE "media_kind" ADD VALUE 'data_export';

-- AlterTable
ALTER TABLE "media_files" ADD COLUMN     "expires_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "data_exports" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "media_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "ready_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "data_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "data_exports_user_id_created_at_idx" ON "data_exports"("user_id", "created_at");
