-- Between the two applies: move the platform-wide templates (no account) to the global table.
-- schemac does not move rows between tables; this is the application's data step, in one
-- transaction so a template is never in both tables or in neither.
BEGIN;
INSERT INTO default_email_templates (key, subject, body)
SELECT key, subject, body FROM email_templates WHERE account_id IS NULL;
DELETE FROM email_templates WHERE account_id IS NULL;
COMMIT;
