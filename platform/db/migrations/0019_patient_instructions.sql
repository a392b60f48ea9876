-- What the patient's self-management plan tells them to do on a red or a yellow reading, in
-- their own words; shown by the home hub when it cannot reach the care team.
CREATE TABLE patient_instructions (
    patient_id  text PRIMARY KEY REFERENCES patients (patient_id),
    red         text NOT NULL DEFAULT '',
    yellow      text NOT NULL DEFAULT '',
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
