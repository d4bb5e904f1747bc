-- Audit addresses become inet: only valid IP addresses can be stored. Existing rows keep their
-- address when it is a valid IPv4 or IPv6 address (anything else becomes NULL) instead of being
-- dropped with the column.
ALTER TABLE "audit_events" ALTER COLUMN "ip" TYPE INET USING (
  CASE
    WHEN "ip" ~ '^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$' THEN "ip"::inet
    WHEN "ip" ~ '^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}$' AND "ip" !~ ':::' THEN "ip"::inet
  END
);
