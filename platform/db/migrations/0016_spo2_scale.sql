-- The NEWS2 SpO2 scale a clinician prescribed for the patient: scale 2 for hypercapnic
-- respiratory failure (many COPD patients followed at home) with a target of 88-92 %, whose
-- usual saturations score 3 on scale 1.
ALTER TABLE patients ADD COLUMN spo2_scale smallint NOT NULL DEFAULT 1
    CHECK (spo2_scale IN (1, 2));
