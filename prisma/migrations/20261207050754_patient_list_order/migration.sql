-- The admin patient list's order (last then first name): the unfiltered list walks this index for its page instead of sorting every patient.
-- CreateIndex
CREATE INDEX "users_last_name_first_name_idx" ON "users"("last_name", "first_name");
