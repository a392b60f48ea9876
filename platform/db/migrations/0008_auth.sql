-- Sign-in, roles and the audit log of patient-data reads.
CREATE TABLE users (
    username       text PRIMARY KEY CHECK (username ~ '^[a-z0-9._-]{2,64}$'),
    display_name   text NOT NULL DEFAULT '',
    role           text NOT NULL CHECK (role IN ('operator', 'night_nurse', 'home_care_nurse',
                                                 'infection_control', 'admin')),
    -- scrypt: "scrypt$n$r$p$salt_b64$hash_b64"; never the password.
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of each session token is kept, so a database dump holds no usable session.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    username    text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    patient_id  text,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_patient ON audit_log (patient_id, at DESC);
CREATE INDEX audit_log_by_time ON audit_log (at DESC);
