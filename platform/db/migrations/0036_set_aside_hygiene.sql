-- Whether a quarantined or dead-lettered message is a badge's or a dispenser's (hand-hygiene
-- data, kept no longer than that data); NULL until maintenance has judged it
-- (ingest/set_aside.py), which it does once per row.
ALTER TABLE quarantine ADD COLUMN hygiene boolean;
ALTER TABLE dead_letters ADD COLUMN hygiene boolean;
CREATE INDEX quarantine_not_judged ON quarantine (id) WHERE hygiene IS NULL;
CREATE INDEX dead_letters_not_judged ON dead_letters (id) WHERE hygiene IS NULL;
