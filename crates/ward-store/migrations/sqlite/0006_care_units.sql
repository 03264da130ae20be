-- The care unit a device belongs to (ICU, OR-2, radiology...), set by the people who manage the
-- inventory. A clinician sees only the devices of their own care unit, and their findings.
ALTER TABLE assets ADD COLUMN care_unit TEXT;
CREATE INDEX assets_care_unit ON assets (care_unit);
