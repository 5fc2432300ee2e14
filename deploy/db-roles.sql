-- PostgreSQL roles of a watchstore database, least privilege:
--   migrator_role  owns the schema's tables (runs `watchstore-server migrate`)
--   app_role       reads and writes rows only (runs `watchstore-server serve`)
-- Run by an administrator (on RDS: the master user) with psql 15 or later;
-- idempotent, so it runs before every migration (watchstore-admin db-roles on
-- AWS). The passwords come from the environment, never from the command line:
--
--   WATCHSTORE_APP_PASSWORD=... WATCHSTORE_MIGRATOR_PASSWORD=... \
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -f deploy/db-roles.sql \
--     -v db_name=watchstore -v app_role=watchstore_app -v migrator_role=watchstore_migrator
--
-- Passwords are set from the variables on every run, so a password changed in
-- Secrets Manager takes effect at the next run. Tables the administrator
-- created before (a database migrated as the master user) are handed to the
-- migrator role.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
\getenv app_password WATCHSTORE_APP_PASSWORD
\getenv migrator_password WATCHSTORE_MIGRATOR_PASSWORD
SELECT :'app_password' = '' OR :'migrator_password' = '' AS missing_password \gset
\if :missing_password
  \echo 'db-roles.sql: set WATCHSTORE_APP_PASSWORD and WATCHSTORE_MIGRATOR_PASSWORD'
  \quit 1
\endif

SELECT format('CREATE ROLE %I', :'migrator_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'migrator_role') \gexec
SELECT format('CREATE ROLE %I', :'app_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec

ALTER ROLE :"migrator_role" WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'migrator_password';
ALTER ROLE :"app_role" WITH LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';

-- The administrator acts as the migrator below (grants on its tables, default
-- privileges for the tables it will create).
GRANT :"migrator_role" TO CURRENT_USER;

REVOKE ALL ON DATABASE :"db_name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db_name" TO :"migrator_role", :"app_role";

-- The catalog search (migration 0010) indexes with pg_trgm, a contrib
-- extension whose creation needs CREATE on the database, which the migrator
-- does not get: the administrator creates it here (a no-op when it exists).
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator_role";
-- The app role only uses the schema: `watchstore-server serve` checks the
-- schema version by reading schema_migrations, without DDL. The REVOKE takes
-- back the CREATE that earlier versions of this script granted it.
REVOKE CREATE ON SCHEMA public FROM :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";

-- Tables and sequences the administrator owns in public move to the migrator.
SELECT format('ALTER TABLE public.%I OWNER TO %I', c.relname, :'migrator_role')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND pg_get_userbyid(c.relowner) = current_user \gexec

SET ROLE :"migrator_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
RESET ROLE;
