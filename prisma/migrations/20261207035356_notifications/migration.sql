-- CreateEnum
CREATE TYPE "login_code_channel" AS ENUM ('email', 'sms');

-- AlterEnum
ALTER TYPE "otp_purpose" ADD VALUE 'phone_verification';

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "phone_verified_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "notification_preferences" (
    "user_id" UUID NOT NULL,
    "email" BOOLEAN NOT NULL DEFAULT true,
    "sms" BOOLEAN NOT NULL DEFAULT false,
    "reminder_hours" INTEGER[] DEFAULT ARRAY[24]::INTEGER[],
    "login_code_channel" "login_code_channel" NOT NULL DEFAULT 'email',
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notification_preferences_pkey" PRIMARY KEY ("user_id")
);

-- AddForeignKey
ALTER TABLE "notification_preferences" ADD CONSTRAINT "notification_preferences_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
