-- A lock wait must not queue the application's queries behind this revision.
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ADD COLUMN email text;
-- lint: allow index-not-concurrent -- an example database: users holds a handful of rows, so the write lock lasts milliseconds
CREATE UNIQUE INDEX users_email ON users (lower(email));
