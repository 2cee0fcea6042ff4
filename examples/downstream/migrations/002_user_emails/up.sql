-- The runner's lock_timeout (10s by default) bounds the wait for the users table lock.
ALTER TABLE users ADD COLUMN email text;
-- lint: allow index-not-concurrent -- an example database: users holds a handful of rows, so the write lock lasts milliseconds
CREATE UNIQUE INDEX users_email ON users (lower(email));
