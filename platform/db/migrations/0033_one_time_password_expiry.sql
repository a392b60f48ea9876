-- A one-time password nobody used is not a way in for ever: an account made, or reset, for a
-- nurse who never came keeps it only this long. NULL: not a one-time password.
ALTER TABLE users ADD COLUMN one_time_password_expires_at timestamptz;
UPDATE users SET one_time_password_expires_at = now() + interval '72 hours'
WHERE must_change_password;
