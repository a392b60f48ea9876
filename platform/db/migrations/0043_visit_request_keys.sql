-- The screen sends one key per visit it asks for (the Idempotency-Key header), so a double
-- click or a resend after a lost answer finds the visit already asked for instead of making a
-- second one. Keys belong to the carer who sent them; requests without one (other API
-- clients) are stored as before.
ALTER TABLE visit_requests
    ADD COLUMN request_key text CHECK (request_key <> '' AND length(request_key) <= 100);
CREATE UNIQUE INDEX visit_requests_by_key ON visit_requests (requested_by, request_key)
    WHERE request_key IS NOT NULL;
