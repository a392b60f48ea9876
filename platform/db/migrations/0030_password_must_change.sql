-- A password an administrator set (a new account's, or a reset) is a one-time password: the
-- user must choose her own at her next sign-in before she may do anything else, so the admin
-- who knew it cannot read patients under her name. Accounts made before keep their password.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
