#!/usr/bin/env bash
# Installs the Debian packages Hamkar needs to run and to be tested: the mail stack (Dovecot with
# Sieve and full-text search, Postfix), Chromium for the browser tests, litmus for WebDAV tests,
# and Python's venv. Runs apt-get only when something is missing. Needs root.
set -euo pipefail

PACKAGES=(
  dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved dovecot-fts-xapian
  dovecot-sqlite dovecot-pgsql postfix-sqlite postfix-pgsql python3-psycopg
  postfix openssl ca-certificates chromium litmus python3-venv python3-dev build-essential
  iproute2 util-linux sqlite3
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "Run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-system-deps: installing ${missing[*]}"
# Keep the distribution's Postfix unconfigured: Hamkar runs its own instance on loopback ports.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get -o DPkg::Lock::Timeout=600 update -q
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
  --no-install-recommends "${missing[@]}" </dev/null
