-- Alerts: one active alert per (entity, rule) with an occurrence count, its full history, and
-- an outbox from which live streams and webhooks are fed, so no notification is lost across a
-- restart.

-- Per-container limits (LwM2M object 3435's high/low pair: raise at high, clear below low).
ALTER TABLE containers
    ADD COLUMN fill_high_percent real NOT NULL DEFAULT 80 CHECK (fill_high_percent BETWEEN 0 AND 100),
    ADD COLUMN fill_low_percent  real NOT NULL DEFAULT 20 CHECK (fill_low_percent BETWEEN 0 AND 100),
    ADD CHECK (fill_low_percent < fill_high_percent);

-- A patient's own thresholds per measurement kind: inside green is green, inside yellow but
-- outside green is yellow, outside yellow is red. NULL leaves that side open.
CREATE TABLE patient_thresholds (
    patient_id   text NOT NULL REFERENCES patients (patient_id),
    kind         text NOT NULL,
    green_low    double precision,
    green_high   double precision,
    yellow_low   double precision,
    yellow_high  double precision,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT 'system',
    PRIMARY KEY (patient_id, kind)
);

-- Who is on duty: the assignee of a new alert is the person on duty for its audience and unit.
CREATE TABLE duty_roster (
    id         bigserial PRIMARY KEY,
    role       text NOT NULL,
    unit       text NOT NULL,
    person     text NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX duty_roster_lookup ON duty_roster (role, unit, starts_at);

CREATE TABLE alerts (
    alert_id          bigserial PRIMARY KEY,
    entity_type       text NOT NULL,
    entity_id         text NOT NULL,
    rule              text NOT NULL,
    severity          text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state             text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    audience          text NOT NULL,
    unit              text NOT NULL DEFAULT '',
    title             text NOT NULL,
    detail            jsonb NOT NULL DEFAULT '{}',
    assignee          text,
    occurrences       integer NOT NULL DEFAULT 1,
    first_at          timestamptz NOT NULL,
    last_at           timestamptz NOT NULL,
    ack_deadline      timestamptz,
    escalation_level  integer NOT NULL DEFAULT 0,
    acknowledged_at   timestamptz,
    acknowledged_by   text,
    resolved_at       timestamptz,
    resolved_by       text
);
CREATE UNIQUE INDEX alerts_one_active ON alerts (entity_type, entity_id, rule)
    WHERE state <> 'resolved';
CREATE INDEX alerts_by_audience ON alerts (audience, state, last_at DESC);

CREATE TABLE alert_history (
    id        bigserial PRIMARY KEY,
    alert_id  bigint NOT NULL REFERENCES alerts (alert_id),
    at        timestamptz NOT NULL DEFAULT now(),
    event     text NOT NULL CHECK (event IN ('raised', 'recurred', 'acknowledged', 'resolved',
                                             'escalated', 'commented', 'reopened')),
    actor     text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_history_by_alert ON alert_history (alert_id, id);

-- Written in the same transaction as the alert change it announces.
CREATE TABLE notification_outbox (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    alert_id    bigint NOT NULL REFERENCES alerts (alert_id),
    audience    text NOT NULL,
    event       text NOT NULL,
    payload     jsonb NOT NULL
);
CREATE INDEX notification_outbox_by_audience ON notification_outbox (audience, id);

CREATE TABLE webhooks (
    webhook_id  bigserial PRIMARY KEY,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret      text NOT NULL,
    audiences   text[] NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    outbox_id        bigint NOT NULL REFERENCES notification_outbox (id),
    webhook_id       bigint NOT NULL REFERENCES webhooks (webhook_id),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_error       text,
    PRIMARY KEY (outbox_id, webhook_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL;
