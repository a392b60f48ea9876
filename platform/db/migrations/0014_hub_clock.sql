-- How far a hub found its clock behind the platform's, from its receipts (docs/edge.md).
-- NULL in reports from older agents.
ALTER TABLE hub_health ADD COLUMN clock_behind_s double precision;
