-- Route planning: night shifts with their nurses and tasks, the plans made for them, home-care
-- visit requests, and the collection routes planned for the trucks.

-- Where a patient lives, so an alert or a visit request can send a night nurse there.
ALTER TABLE patients
    ADD COLUMN address    text,
    ADD COLUMN latitude   double precision CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude  double precision CHECK (longitude BETWEEN -180 AND 180),
    ADD CHECK ((latitude IS NULL) = (longitude IS NULL));

CREATE TABLE night_shifts (
    shift_id   bigserial PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    -- Bumped on every change a nurse's phone must see (a new plan, a task's state).
    revision   integer NOT NULL DEFAULT 0,
    CHECK (starts_at < ends_at)
);
CREATE INDEX night_shifts_by_time ON night_shifts (starts_at, ends_at);

CREATE TABLE night_shift_nurses (
    shift_id    bigint NOT NULL REFERENCES night_shifts (shift_id) ON DELETE CASCADE,
    username    text NOT NULL,
    competence  text NOT NULL CHECK (competence IN ('registered_nurse', 'care_assistant')),
    base_name   text NOT NULL,
    base_lat    double precision NOT NULL CHECK (base_lat BETWEEN -90 AND 90),
    base_lon    double precision NOT NULL CHECK (base_lon BETWEEN -180 AND 180),
    PRIMARY KEY (shift_id, username)
);

CREATE TABLE visit_requests (
    visit_id      bigserial PRIMARY KEY,
    patient_id    text NOT NULL REFERENCES patients (patient_id),
    reason        text NOT NULL CHECK (reason <> ''),
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    due_by        timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'done'))
);
CREATE INDEX visit_requests_by_patient ON visit_requests (patient_id, requested_at DESC);

CREATE TABLE night_tasks (
    task_id       text PRIMARY KEY CHECK (task_id <> ''),
    shift_id      bigint NOT NULL REFERENCES night_shifts (shift_id) ON DELETE CASCADE,
    location_name text NOT NULL,
    address       text NOT NULL DEFAULT '',
    latitude      double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    service_s     integer NOT NULL CHECK (service_s >= 0),
    priority      text NOT NULL DEFAULT 'normal'
                  CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    competence    text NOT NULL DEFAULT 'registered_nurse'
                  CHECK (competence IN ('registered_nurse', 'care_assistant')),
    reason        text NOT NULL DEFAULT '',
    urgent        boolean NOT NULL DEFAULT false,
    source        text NOT NULL CHECK (source IN ('schedule', 'alert', 'visit')),
    alert_id      bigint UNIQUE REFERENCES alerts (alert_id),
    visit_id      bigint UNIQUE REFERENCES visit_requests (visit_id),
    patient_id    text REFERENCES patients (patient_id),
    state         text NOT NULL DEFAULT 'planned'
                  CHECK (state IN ('planned', 'acknowledged', 'started', 'done')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    started_at    timestamptz,
    done_at       timestamptz,
    -- From the latest plan: whose route, where on it, when, or why it is on no route.
    nurse         text,
    route_order   integer,
    eta           timestamptz,
    unplanned_reason text,
    CHECK (window_start <= window_end)
);
CREATE INDEX night_tasks_by_shift ON night_tasks (shift_id, nurse, route_order);

-- Every plan made for a shift, numbered; the newest is the one in force.
CREATE TABLE night_plans (
    shift_id   bigint NOT NULL REFERENCES night_shifts (shift_id) ON DELETE CASCADE,
    version    integer NOT NULL,
    made_at    timestamptz NOT NULL DEFAULT now(),
    trigger    text NOT NULL,
    feasible   boolean NOT NULL,
    plan       jsonb NOT NULL,
    PRIMARY KEY (shift_id, version)
);

CREATE TABLE collection_plans (
    plan_id      bigserial PRIMARY KEY,
    made_at      timestamptz NOT NULL DEFAULT now(),
    made_by      text NOT NULL,
    day_starts   timestamptz NOT NULL,
    feasible     boolean NOT NULL,
    km           double precision NOT NULL,
    -- GeoJSON FeatureCollection: one LineString per truck, with the chosen containers.
    geojson      jsonb NOT NULL
);
