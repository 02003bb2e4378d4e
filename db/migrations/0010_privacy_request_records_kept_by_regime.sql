-- How long a closed privacy request must be kept depends on the law it falls under (RULES.md D9,
-- lib/privacy-requests/retention.ts): 24 months for the GDPR, the UK GDPR and the CCPA (11 CCR §7101),
-- 6 years under HIPAA (45 CFR §164.530(j)). A request counts as HIPAA's when its deadline regime is
-- hipaa or its tenant enables the hipaa rule pack: retention.ts keeps the longest period of a
-- tenant's packs, and the retention hold an erasure writes says so, so the trigger agrees with it.
CREATE OR REPLACE FUNCTION refuse_privacy_request_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kept interval := interval '24 months';
  kept_words text := '24 months';
BEGIN
  IF OLD.regime = 'hipaa' OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND 'hipaa' = ANY (t.rule_packs)) THEN
    kept := interval '6 years';
    kept_words := '6 years (HIPAA)';
  END IF;
  IF OLD.completed_at IS NULL OR OLD.completed_at > now() - kept THEN
    RAISE EXCEPTION 'privacy request records are kept % after they close', kept_words
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END;
$$;
