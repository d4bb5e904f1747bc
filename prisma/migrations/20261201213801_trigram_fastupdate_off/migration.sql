-- hand-written: the trigram indexes of the directory search take new entries directly instead of
-- through GIN's pending list. Searched before autovacuum merges it, a pending list is read in
-- full on every search (measured: 100,000 fresh users made a selective patient search ~3× slower).
-- Users are written rarely (registration, profile edits), so the cost moves to where it is cheap.
-- Prisma's schema language has no index storage parameters; it neither reads nor drifts on them.
ALTER INDEX "users_first_name_trgm_idx" SET (fastupdate = off);
ALTER INDEX "users_last_name_trgm_idx" SET (fastupdate = off);
ALTER INDEX "users_email_trgm_idx" SET (fastupdate = off);
ALTER INDEX "specializations_name_trgm_idx" SET (fastupdate = off);
