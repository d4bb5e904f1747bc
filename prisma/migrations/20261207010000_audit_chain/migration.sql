-- The audit trail becomes append-only and hash-chained (issue 18, item 1).
-- Events keep their ids after the user is gone: ON DELETE SET NULL would be an UPDATE of the
-- trail (refused below) and would break the event's hash.
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_actor_id_fkey";

ALTER TABLE "audit_events" ADD COLUMN "actor_role" VARCHAR(16),
ADD COLUMN "subject_type" VARCHAR(32),
ADD COLUMN "subject_id" UUID,
ADD COLUMN "subject_user_id" UUID,
ADD COLUMN "seq" BIGINT,
ADD COLUMN "prev_hash" CHAR(64),
ADD COLUMN "hash" CHAR(64);

CREATE TABLE "audit_chain_head" (
    "id" SMALLINT NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "event_id" UUID,

    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id")
);

-- The canonical serialization of an event: a JSON array in this fixed field order, instants as
-- UTC ISO 8601 with milliseconds, the address without mask, the detail as PostgreSQL's jsonb
-- (keys in its canonical order), ending with the previous event's hash. The hash is the
-- lower-case hex SHA-256 of its UTF-8 text.
CREATE FUNCTION audit_event_canonical(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array(
    e.seq, e.id, to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    e.actor_id, e.actor_role, e.action, e.outcome, e.subject, e.subject_type, e.subject_id,
    e.subject_user_id, host(e.ip), e.request_id, e.metadata, e.prev_hash
  )::text
$$;

CREATE FUNCTION audit_event_hash(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(audit_event_canonical(e), 'UTF8')), 'hex')
$$;

-- Existing events, oldest first, become the start of the chain.
UPDATE "audit_events" e SET "actor_role" = u."role"::text FROM "users" u WHERE u."id" = e."actor_id";
UPDATE "audit_events" SET "subject_user_id" = "actor_id";
DO $$
DECLARE
  e audit_events;
  previous text := repeat('0', 64);
  position bigint := 0;
  last_id uuid;
BEGIN
  FOR e IN SELECT * FROM audit_events ORDER BY created_at, id LOOP
    position := position + 1;
    e.seq := position;
    e.prev_hash := previous;
    e.hash := audit_event_hash(e);
    UPDATE audit_events SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash WHERE id = e.id;
    previous := e.hash;
    last_id := e.id;
  END LOOP;
  INSERT INTO audit_chain_head (id, seq, hash, event_id) VALUES (1, position, previous, last_id);
END $$;

ALTER TABLE "audit_events" ALTER COLUMN "seq" SET NOT NULL,
ALTER COLUMN "prev_hash" SET NOT NULL,
ALTER COLUMN "hash" SET NOT NULL;

CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events"("seq");
CREATE INDEX "audit_events_created_at_id_idx" ON "audit_events"("created_at", "id");
CREATE INDEX "audit_events_subject_user_id_created_at_idx" ON "audit_events"("subject_user_id", "created_at");

-- Appending: the head row is locked until the inserting transaction ends, so concurrent
-- writers queue and each links to the event committed before it (no fork, no gap).
CREATE FUNCTION audit_events_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_head;
BEGIN
  SELECT * INTO STRICT head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.hash := audit_event_hash(NEW);
  UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash, event_id = NEW.id WHERE id = 1;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append();

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
