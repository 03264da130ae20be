-- Each device's risk score (0-100, ward-intel's: worst CVSS, known exploitation, exposure seen on
-- the wire, clinical impact), kept so the inventory sorts by it. 0: no known vulnerability (or
-- the server has no advisories). The server recomputes it when a sensor reports the device and,
-- for every device, when it starts with its advisories.
ALTER TABLE assets ADD COLUMN risk DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX assets_risk ON assets (risk, id);
