-- A schedule entry is a kind of measurement or a questionnaire of the self-management plan
-- ("copd-daily at 10:00"), exactly one; a patient holds one entry per kind and per questionnaire.
ALTER TABLE patient_schedules DROP CONSTRAINT patient_schedules_pkey;
ALTER TABLE patient_schedules ALTER COLUMN kind DROP NOT NULL;
ALTER TABLE patient_schedules ADD COLUMN questionnaire text;
ALTER TABLE patient_schedules ADD CONSTRAINT patient_schedules_one_task
    CHECK ((kind IS NULL) <> (questionnaire IS NULL));
CREATE UNIQUE INDEX patient_schedules_by_kind ON patient_schedules (patient_id, kind)
    WHERE kind IS NOT NULL;
CREATE UNIQUE INDEX patient_schedules_by_questionnaire
    ON patient_schedules (patient_id, questionnaire) WHERE questionnaire IS NOT NULL;
-- When the task was set as it stands: slots due before it are not judged, so a task added at
-- noon for 08:00 is first due tomorrow. NULL (tasks set before this column, and written by
-- the scenario enrolment): judged over the rule's whole look-back.
ALTER TABLE patient_schedules ADD COLUMN since timestamptz;
