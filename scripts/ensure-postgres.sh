#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite, with a database
# `test` and the role `postgres` (password `postgres`). Starts an installed cluster if it is down;
# installs one from Debian's packages (as root) if there is none.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null || ! ready; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "ensure-postgres: no PostgreSQL; as root: apt-get install postgresql" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends postgresql </dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { echo "ensure-postgres: PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi

# As the postgres superuser over the local socket: a password for TCP logins, and the test DB.
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -c "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null 2>&1 || true
  runuser -u postgres -- psql -tAq -c "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || runuser -u postgres -- createdb test 2>/dev/null || true
fi
echo "ensure-postgres: PostgreSQL is ready on 127.0.0.1:5432"
