-- AlterTable
ALTER TABLE "refresh_tokens" ADD COLUMN     "ip" INET,
ADD COLUMN     "user_agent" VARCHAR(512);
