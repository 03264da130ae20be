-- API tokens for automation (scripts, SOAR, ticketing), beside the sensors' tokens. An
-- automation token acts for a user (subject = the user's id) and carries scopes, written
-- `resource.action` and separated by spaces; what it may do is always those scopes intersected
-- with its owner's role at the time of the request. A label says what it is for.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT;
ALTER TABLE api_tokens ADD COLUMN label TEXT;
CREATE INDEX api_tokens_kind_subject ON api_tokens (kind, subject);
