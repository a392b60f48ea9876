-- How the care team reads each questionnaire's answers: per question (linkId), which answers
-- are green, yellow (call the patient) and red (act on the plan). One entry per questionnaire,
-- shared by every patient who answers it (clinical/answers.py).
CREATE TABLE questionnaire_colours (
    questionnaire text PRIMARY KEY,
    questions     jsonb NOT NULL,
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
