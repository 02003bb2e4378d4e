-- Records of privacy requests are kept at least 24 months after they close (RULES.md D9, B9(d)):
-- a request still open, or closed less than 24 months ago, cannot be deleted, nor the table truncated.
CREATE FUNCTION refuse_privacy_request_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.completed_at IS NULL OR OLD.completed_at > now() - interval '24 months' THEN
    RAISE EXCEPTION 'privacy request records are kept 24 months after they close'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER privacy_requests_kept
  BEFORE DELETE ON privacy_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_privacy_request_delete();
--> statement-breakpoint
CREATE TRIGGER privacy_requests_no_truncate
  BEFORE TRUNCATE ON privacy_requests
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
