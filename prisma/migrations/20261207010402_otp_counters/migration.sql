-- CreateTable
CREATE TABLE "otp_counters" (
    "email" VARCHAR(254) NOT NULL,
    "purpose" "otp_purpose" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3)[] DEFAULT ARRAY[]::TIMESTAMPTZ(3)[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "otp_counters_pkey" PRIMARY KEY ("email","purpose")
);

-- CreateIndex
CREATE INDEX "otp_counters_updated_at_idx" ON "otp_counters"("updated_at");
