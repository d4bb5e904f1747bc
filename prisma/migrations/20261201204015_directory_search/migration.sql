-- Directory search: trigram (pg_trgm, GIN) indexes for the case-insensitive substring search of doctors and patients, and a fee index for ordering.
-- hand-written: the extension the gin_trgm_ops operator class comes from (schema.prisma mirrors the indexes, not the extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "doctors_fee_idx" ON "doctors"("fee");

-- CreateIndex
CREATE INDEX "specializations_name_trgm_idx" ON "specializations" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "users_first_name_trgm_idx" ON "users" USING GIN ("first_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "users_last_name_trgm_idx" ON "users" USING GIN ("last_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "users_email_trgm_idx" ON "users" USING GIN ("email" gin_trgm_ops);
