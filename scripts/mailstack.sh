#!/usr/bin/env bash
# mailstack.sh - Hamkar's loopback mail stack: Dovecot (IMAP, LMTP, ManageSieve, FTS) and
# Postfix (submission, smtp-in) on 127.0.0.1, with config, mail, queue and logs in one directory.
#
#   start                             write config, start both daemons (reload when running)
#   stop                              stop only the daemons started for MAILSTACK_DIR (by PID)
#   status                            exit 0 when both daemons run and every port listens, else 3
#   adduser USER PASS [extra]         add or update a user; extra = passwd-file extra fields,
#                                     e.g. userdb_quota_rule=*:storage=100M (new domains are hosted)
#   acl-set OWNER FOLDER GRANTEE RIGHTS...   doveadm acl set (GRANTEE: an address or a doveadm id)
#   acl-delete OWNER FOLDER GRANTEE   doveadm acl delete
#   quota-get USER                    print "STORAGE <used KiB> <limit KiB|->" (doveadm quota get)
#   purge-mail USER                   remove a deleted user's mail directory for good
#   install-deps                      apt-get install the Debian packages (root)
#
# Configuration comes only from the environment (`hamkar mailstack` sets it from Settings):
#   MAILSTACK_DIR (required)  MAILSTACK_IMAP_PORT=10143  MAILSTACK_IMAPS_PORT=10993
#   MAILSTACK_LMTP_PORT=10024  MAILSTACK_SIEVE_PORT=14190  MAILSTACK_SMTP_IN_PORT=10025
#   MAILSTACK_SUBMISSION_PORT=10587  MAILSTACK_SUBMISSIONS_PORT=10465
#   MAILSTACK_EXTERNAL=sink|discard|hold  (mail for other domains; sink = sink@<first domain>)
#   MAILSTACK_DOMAINS="example.com example.org"  MAILSTACK_PW_SCHEME=SHA512-CRYPT
# Managed mode (Hamkar's database is the account source; passwd-file users keep working):
#   MAILSTACK_DB_DRIVER=sqlite|pgsql|none  MAILSTACK_DB_PATH (sqlite)
#   MAILSTACK_DB_HOST MAILSTACK_DB_PORT MAILSTACK_DB_NAME MAILSTACK_DB_USER MAILSTACK_DB_PASSWORD
#   MAILSTACK_POLICYD=path/to/policyd.py: the group send-policy service Postfix spawns
#     (copied into MAILSTACK_DIR, run by Debian's /usr/bin/python3 as user nobody; optional)
# Last IMAP login: Dovecot's last_login plugin writes each user's latest IMAP login into
#   MAILSTACK_DIR/last-login/last-login.db (SQLite, table last_login: userid, last_login in
#   Unix seconds) through its dict service, the file's only writer; Hamkar reads it read-only.
#   Hamkar's own database stays read-only for Dovecot (it could otherwise rewrite passwords).
set -euo pipefail

PROG=mailstack.sh
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*"; }

PACKAGES="dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved dovecot-fts-xapian
  dovecot-sqlite dovecot-pgsql postfix postfix-sqlite postfix-pgsql python3 python3-psycopg openssl
  sqlite3"
PACKAGES=$(echo $PACKAGES)
APT_CMD="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES"
MAIL_USER=mail   # Dovecot refuses uid 0 for mail; Debian's `mail` (uid 8) owns every mailbox

usage() { sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# ---------------------------------------------------------------- settings
load_settings() {
  [ -n "${MAILSTACK_DIR:-}" ] || die "MAILSTACK_DIR is not set (hamkar sets it from HAMKAR_MAILSTACK_DIR)"
  DIR=$(realpath -m -- "$MAILSTACK_DIR")
  # Dovecot expands % in paths, and the generated files do not quote them.
  case "$DIR" in *[[:space:]]*|*'"'*|*"'"*|*'$'*|*'%'*|*'\'*)
    die "MAILSTACK_DIR must not contain spaces, quotes, \$, % or backslashes: $DIR" ;; esac
  IMAP_PORT=${MAILSTACK_IMAP_PORT:-10143}
  IMAPS_PORT=${MAILSTACK_IMAPS_PORT:-10993}
  LMTP_PORT=${MAILSTACK_LMTP_PORT:-10024}
  SIEVE_PORT=${MAILSTACK_SIEVE_PORT:-14190}
  SMTP_IN_PORT=${MAILSTACK_SMTP_IN_PORT:-10025}
  SUBMISSION_PORT=${MAILSTACK_SUBMISSION_PORT:-10587}
  SUBMISSIONS_PORT=${MAILSTACK_SUBMISSIONS_PORT:-10465}
  ALL_PORTS="$IMAP_PORT $IMAPS_PORT $LMTP_PORT $SIEVE_PORT $SMTP_IN_PORT $SUBMISSION_PORT $SUBMISSIONS_PORT"
  local p
  for p in $ALL_PORTS; do
    [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1024 ] && [ "$p" -le 65535 ] || die "bad port: $p"
  done
  EXTERNAL=${MAILSTACK_EXTERNAL:-sink}
  case "$EXTERNAL" in sink|discard|hold) ;; *) die "MAILSTACK_EXTERNAL must be sink, discard or hold" ;; esac
  ENV_DOMAINS=$(echo "${MAILSTACK_DOMAINS:-example.com example.org}" | tr 'A-Z' 'a-z')
  FIRST_DOMAIN=${ENV_DOMAINS%% *}
  [ -n "$FIRST_DOMAIN" ] || die "MAILSTACK_DOMAINS is empty"
  SINK_USER=sink@$FIRST_DOMAIN
  PW_SCHEME=${MAILSTACK_PW_SCHEME:-SHA512-CRYPT}
  [[ "${MAILSTACK_POLICYD:-}" =~ ^[A-Za-z0-9._/-]*$ ]] || die "MAILSTACK_POLICYD: only plain paths"
  DB_DRIVER=${MAILSTACK_DB_DRIVER:-none}
  case "$DB_DRIVER" in
    none) ;;
    sqlite)
      [ -n "${MAILSTACK_DB_PATH:-}" ] || die "MAILSTACK_DB_PATH is required with MAILSTACK_DB_DRIVER=sqlite"
      DB_PATH=$(realpath -m -- "$MAILSTACK_DB_PATH")
      case "$DB_PATH" in *[[:space:]]*|*'"'*|*"'"*|*'$'*|*'%'*|*'\'*)
        die "MAILSTACK_DB_PATH must not contain spaces, quotes, \$, % or backslashes" ;; esac ;;
    pgsql)
      DB_HOST=${MAILSTACK_DB_HOST:-127.0.0.1}; DB_PORT=${MAILSTACK_DB_PORT:-5432}
      DB_NAME=${MAILSTACK_DB_NAME:?MAILSTACK_DB_NAME is required with pgsql}
      DB_USER=${MAILSTACK_DB_USER:-postgres}; DB_PASSWORD=${MAILSTACK_DB_PASSWORD:-}
      local v
      for v in "$DB_HOST" "$DB_PORT" "$DB_NAME" "$DB_USER" "$DB_PASSWORD"; do
        [[ "$v" =~ ^[A-Za-z0-9._/@:+-]*$ ]] || die "database settings may only use letters, digits and . _ / @ : + -"
      done ;;
    *) die "MAILSTACK_DB_DRIVER must be sqlite, pgsql or none" ;;
  esac

  CONF=$DIR/dovecot.conf
  PFDIR=$DIR/postfix          # postfix config_directory (main.cf, master.cf, maps)
  SPOOL=$DIR/postfix-spool    # postfix queue (queue_directory is QUEUE_LINK, below)
  PFDATA=$DIR/postfix-data    # postfix data_directory
  USERS=$DIR/users            # dovecot passwd-file (passdb + userdb)
  LAST_LOGIN_DIR=$DIR/last-login   # the last_login plugin's store (dict service, user dovecot)
  DOMAINS_FILE=$DIR/domains   # domains added by adduser
  # Dovecot's base_dir holds unix sockets (sun_path <= 108 bytes), so it must not grow with DIR:
  # a fixed-length directory keyed by DIR lets DIR be as long as a CI checkout path needs.
  RUN=/run/hamkar-mailstack-$(printf '%s' "$DIR" | md5sum | cut -c1-8)
  # Postfix's logger connects to queue_directory/public/postlog by absolute path, so the queue
  # is reached through a short symlink in RUN (the mail stays in DIR)
  QUEUE_LINK=$RUN/postfix-spool
}

# Hosted domains: MAILSTACK_DOMAINS first, then those adduser added, without duplicates.
domains() { { printf '%s\n' $ENV_DOMAINS; cat "$DOMAINS_FILE" 2>/dev/null || true; } | awk 'NF && !seen[$0]++'; }

# ---------------------------------------------------------------- dependencies
missing_packages() {
  local p out=""
  for p in $PACKAGES; do
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" == ii* ]] || out="$out $p"
  done
  echo "${out# }"
}
cmd_install_deps() {
  local missing p update=0
  missing=$(missing_packages)
  [ -n "$missing" ] || { log "all packages installed"; return 0; }
  [ "$(id -u)" -eq 0 ] || die "missing packages: $missing; as root run: $APT_CMD"
  command -v apt-get >/dev/null || die "missing packages: $missing, and apt-get is not available"
  log "installing: $missing"
  # "No configuration" leaves /etc/postfix/main.cf absent, so the system Postfix never listens on 25.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  for p in $missing; do   # refresh the package lists only when apt does not know a package yet
    apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || update=1
  done
  if [ "$update" -eq 1 ]; then apt-get -o DPkg::Lock::Timeout=600 update </dev/null; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends $PACKAGES </dev/null || die "apt-get install failed"
}
ensure_deps() {
  [ -z "$(missing_packages)" ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages: $(missing_packages); as root run: $APT_CMD"
  cmd_install_deps
}
require_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (the Postfix and Dovecot masters need it)"; }

# ---------------------------------------------------------------- processes
# A PID counts only if it is still the master started for THIS DIR: dovecot's command line
# names DIR/dovecot.conf; postfix's master inherits MAIL_CONFIG=DIR/postfix.
dovecot_pid() {
  local pid
  pid=$(cat "$RUN/master.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $CONF " || return 1
  echo "$pid"
}
postfix_pid() {
  local pid
  pid=$(awk '{print $1; exit}' "$SPOOL/pid/master.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */postfix/sbin/master ]] || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$PFDIR" || return 1
  echo "$pid"
}
# ss, not a probe connection: probes would litter the daemons' logs
port_open() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
wait_ports() {
  local p i
  for p in "$@"; do
    for i in $(seq 100); do port_open "$p" && continue 2; sleep 0.1; done
    return 1
  done
}
wait_gone() { local i; for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# ---------------------------------------------------------------- config writers
# put FILE < content: replace FILE atomically, only when the content changed. Postfix re-reads
# a main.cf modified within the last second (1 s sleep per reader), so a new one is backdated.
put() {
  local dst=$1 tmp
  tmp=$(mktemp "$dst.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$dst"; then rm -f "$tmp"; return; fi
  chmod 644 "$tmp"
  case "$dst" in */main.cf) touch -d "@$(( $(date +%s) - 5 ))" "$tmp" ;; esac
  mv -f "$tmp" "$dst"
}

write_tls() {
  [ -s "$DIR/tls/cert.pem" ] && [ -s "$DIR/tls/key.pem" ] && return 0
  mkdir -p "$DIR/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,DNS:mail.$FIRST_DOMAIN,IP:127.0.0.1" \
    -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >/dev/null 2>&1 \
    || die "openssl failed to create a self-signed certificate"
  chmod 600 "$DIR/tls/key.pem"; chmod 644 "$DIR/tls/cert.pem"
}

write_dovecot_conf() {
  local dh="" uid gid special_folders="" f
  uid=$(id -u $MAIL_USER); gid=$(id -g $MAIL_USER)
  # SPECIAL-USE folders (RFC 6154), created and subscribed on first access
  for f in Drafts Sent Trash Junk Archive; do
    special_folders+=$(printf '\n  mailbox %s {\n    special_use = \\%s\n    auto = subscribe\n  }' "$f" "$f")
  done
  [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  put "$CONF" <<EOF
# Generated by mailstack.sh for $DIR on every start; nothing from /etc/dovecot is read.
instance_name = hamkar-mailstack-${RUN##*-}
base_dir = $RUN
state_dir = $DIR/state
# every listener below inherits this: nothing listens beyond loopback
listen = 127.0.0.1
protocols = imap lmtp sieve
log_path = $DIR/dovecot.log
auth_verbose = yes
verbose_proctitle = yes

ssl = yes
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
$dh
# every listener is loopback-only: LOGIN / AUTH PLAIN are allowed before STARTTLS
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
auth_default_realm = $FIRST_DOMAIN
# tests log in with wrong passwords on purpose: no 2 s delay, no per-IP penalty (anvil below)
auth_failure_delay = 0

first_valid_uid = $uid
mail_uid = $uid
mail_gid = $gid
# LAYOUT=fs: folders are directories, so '.' and Persian names are allowed in folder names.
# INDEX outside Maildir: fts-xapian keeps xapian-indexes/ in the index root, which inside
# Maildir would be listed as a folder (LAYOUT=fs makes every directory a mailbox).
mail_location = maildir:~/Maildir:LAYOUT=fs:INBOX=~/Maildir/INBOX:INDEX=~/index
# throwaway data: no fsync; tests open many connections from 127.0.0.1 (default 10 per user+IP)
mail_fsync = never
mail_max_userip_connections = 1000
mail_plugins = acl quota fts fts_xapian
mail_attribute_dict = file:%h/dovecot-attributes

$(sql_auth_blocks "$uid" "$gid")
passdb {
  driver = passwd-file
  args = scheme=$PW_SCHEME username_format=%u $USERS
}
userdb {
  driver = passwd-file
  args = username_format=%u $USERS
  default_fields = uid=$uid gid=$gid home=$DIR/mail/%d/%n
}

namespace inbox {
  type = private
  separator = /
  prefix =
  inbox = yes
$special_folders
}
# Mailboxes shared via ACL appear as shared/<owner>/<folder>, the owner's INBOX included.
mail_shared_explicit_inbox = yes
namespace shared {
  type = shared
  separator = /
  prefix = shared/%%u/
  # the owner's own paths, indexes included, so both views share one index
  location = maildir:$DIR/mail/%%d/%%n/Maildir:LAYOUT=fs:INBOX=$DIR/mail/%%d/%%n/Maildir/INBOX:INDEX=$DIR/mail/%%d/%%n/index
  subscriptions = no
  list = children
}

protocol imap {
  # last_login: IMAP clients only (phones, Thunderbird, the webmail), not LMTP deliveries
  mail_plugins = \$mail_plugins imap_acl imap_quota last_login
  imap_metadata = yes
}
# The last_login plugin writes through the dict service (proxy::), which alone opens the
# SQLite store; the imap processes (user $MAIL_USER) only talk to its socket.
dict {
  lastlogin = sqlite:$DIR/dovecot-dict-last-login.conf.ext
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
  postmaster_address = postmaster@$FIRST_DOMAIN
}

plugin {
  acl = vfile
  acl_shared_dict = file:$DIR/mail/shared-mailboxes.db
  # quota counts the private namespace only, not other users' shared folders
  quota = count:User quota:ns=
  quota_vsizes = yes
  quota_rule = *:storage=10G
  quota_grace = 10%%
  sieve = file:~/sieve;active=~/.dovecot.sieve

  # Full-text search, index in ~/index/xapian-indexes. autoindex: LMTP and APPEND queue new
  # mail for the indexer; enforced: SEARCH BODY/TEXT indexes what is missing first, and fails
  # rather than silently falling back to a slow linear scan.
  fts = xapian
  fts_xapian = partial=3 full=20 verbose=0
  fts_autoindex = yes
  fts_enforced = yes
  # one pattern per setting (exclude, exclude2, ...): a space-separated list is one pattern
  fts_autoindex_exclude = \\Trash
  fts_autoindex_exclude2 = \\Junk

  last_login_dict = proxy::lastlogin
  last_login_key = last-login/%u
}

service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
  # one login process serves many connections: faster connects
  service_count = 0
  process_min_avail = 1
}
service lmtp {
  inet_listener lmtp {
    port = $LMTP_PORT
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $SIEVE_PORT
  }
}
# Xapian maps its databases into memory; the imap process indexes too when a SEARCH finds
# unindexed mail (fts_enforced), so neither may run under the 256 MB default_vsz_limit.
service indexer-worker {
  vsz_limit = 2G
}
service imap {
  vsz_limit = 2G
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service dict {
  unix_listener dict {
    mode = 0660
    user = $MAIL_USER
    group = $MAIL_USER
  }
}
service auth {
  # Postfix's smtpd (user postfix) authenticates submission clients through this socket
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

# ---------------------------------------------------------------- last IMAP login store
# A separate SQLite file only Dovecot's dict service (user dovecot) writes; Hamkar opens it
# read-only (mode=ro), so its directory and file are world-readable, never world-writable.
write_last_login_store() {
  local db=$LAST_LOGIN_DIR/last-login.db
  mkdir -p "$LAST_LOGIN_DIR"
  sqlite3 "$db" "CREATE TABLE IF NOT EXISTS last_login (userid TEXT PRIMARY KEY, last_login INTEGER NOT NULL);" \
    || die "cannot create $db"
  chown -R dovecot:dovecot "$LAST_LOGIN_DIR"; chmod 755 "$LAST_LOGIN_DIR"; chmod 644 "$db"
  put "$DIR/dovecot-dict-last-login.conf.ext" <<EOF
# Generated by mailstack.sh: the last_login plugin's key last-login/<user> as a table row.
connect = $db
map {
  pattern = shared/last-login/\$user
  table = last_login
  value_field = last_login
  value_type = uint
  fields {
    userid = \$user
  }
}
EOF
}

# ---------------------------------------------------------------- managed mode (SQL)
# Dovecot and Postfix read Hamkar's views (hamkar_mail_user, hamkar_mail_domain,
# hamkar_mail_alias; see migrations/versions/0300_*). The SQL source comes first, the
# passwd-file second, so users added with `adduser` keep working next to managed ones.
check_database() {
  [ "$DB_DRIVER" = sqlite ] || return 0
  if [ ! -f "$DB_PATH" ]; then   # not migrated yet: passwd-file users only, until a restart
    echo "$PROG: warning: $DB_PATH does not exist; managed accounts are off until" \
      "'hamkar migrate' and 'hamkar mailstack start'" >&2
    DB_DRIVER=none; return 0
  fi
  local u
  # dovecot: passdb/userdb; postfix: maps; nobody: the group policy service
  for u in dovecot postfix nobody; do
    runuser -u "$u" -- test -r "$DB_PATH" 2>/dev/null || die "$DB_PATH is not readable by" \
      "user $u: every parent directory needs o+x and the file o+r"
  done
}

write_sql_conf() {
  local f connect head
  if [ "$DB_DRIVER" = none ]; then
    rm -f "$DIR/dovecot-sql.conf.ext" "$DIR/policyd.conf"
    for f in domains mailbox alias alias-self domain-ok external sender-login group-policy; do rm -f "$PFDIR/sql-$f.cf"; done
    return 0
  fi
  if [ "$DB_DRIVER" = sqlite ]; then connect=$DB_PATH
  else
    connect="host=$DB_HOST port=$DB_PORT dbname=$DB_NAME user=$DB_USER"
    [ -z "$DB_PASSWORD" ] || connect="$connect password=$DB_PASSWORD"
  fi
  put "$DIR/dovecot-sql.conf.ext" <<EOF
# Generated by mailstack.sh: Hamkar's accounts (managed mode). Queries read views only.
driver = $DB_DRIVER
connect = $connect
default_pass_scheme = ARGON2ID
password_query = SELECT email AS user, password FROM hamkar_mail_user WHERE email = '%u' AND password IS NOT NULL
user_query = SELECT email AS user, quota_rule FROM hamkar_mail_user WHERE email = '%u'
iterate_query = SELECT email AS user FROM hamkar_mail_user
EOF
  chmod 600 "$DIR/dovecot-sql.conf.ext"
  if [ "$DB_DRIVER" = sqlite ]; then head="dbpath = $DB_PATH"
  else head=$(printf 'hosts = %s:%s\nuser = %s\npassword = %s\ndbname = %s' \
    "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_PASSWORD" "$DB_NAME"); fi
  pf_sql domains "SELECT name FROM hamkar_mail_domain WHERE name = '%s'" "$head"
  pf_sql mailbox "SELECT 'OK' FROM hamkar_mail_user WHERE email = '%s'" "$head"
  pf_sql alias "SELECT destination FROM hamkar_mail_alias WHERE address = '%s'" "$head"
  # a mailbox maps to itself, so the catch-all sink regexp after it never captures it
  pf_sql alias-self "SELECT email FROM hamkar_mail_user WHERE email = '%s'" "$head"
  pf_sql domain-ok "SELECT 'OK' FROM hamkar_mail_domain WHERE name = '%s'" "$head"
  pf_sql sender-login "SELECT login FROM hamkar_sender_login WHERE address = '%s'" "$head"
  # restricted groups go through the policy service (restriction class below)
  pf_sql group-policy "SELECT 'hamkar_group_policy' FROM hamkar_mail_group WHERE address = '%s' AND send_policy <> 'anyone'" "$head"
  printf 'driver = %s\nconnect = %s\n' "$DB_DRIVER" "$connect" | put "$DIR/policyd.conf"
  chown root:nogroup "$DIR/policyd.conf"; chmod 640 "$DIR/policyd.conf"
  # the sink catch-all, for domains neither Hamkar nor MAILSTACK_DOMAINS host (a regexp
  # cannot know Hamkar's domains: it would swallow mail to disabled or unknown users there)
  local static
  static=$(domains | sed "s/.*/'&'/" | paste -sd,)
  pf_sql external "SELECT '$SINK_USER' WHERE '%d' NOT IN (SELECT name FROM hamkar_mail_domain) AND '%d' NOT IN ($static)" "$head"
}
pf_sql() {   # name query connection-lines
  printf '# generated by mailstack.sh (managed mode)\n%s\nquery = %s\n' "$3" "$2" \
    | put "$PFDIR/sql-$1.cf"
  chown root:postfix "$PFDIR/sql-$1.cf"; chmod 640 "$PFDIR/sql-$1.cf"
}
sql_auth_blocks() {   # uid gid
  [ "$DB_DRIVER" != none ] || return 0
  printf '%s\n' \
    "# managed accounts first (Hamkar's database), then the passwd-file; a disabled or" \
    "# deleted account is absent from the view: it can neither log in nor receive mail" \
    "passdb {" "  driver = sql" "  args = $DIR/dovecot-sql.conf.ext" "}" \
    "userdb {" "  driver = sql" "  args = $DIR/dovecot-sql.conf.ext" \
    "  default_fields = uid=$1 gid=$2 home=$DIR/mail/%d/%n" "}"
}

write_postfix_conf() {
  mkdir -p "$PFDIR" "$SPOOL" "$PFDATA"
  chown root:root "$PFDIR" "$SPOOL"; chmod 755 "$PFDIR" "$SPOOL"
  chown postfix:postfix "$PFDATA"; chmod 700 "$PFDATA"
  local doms alt d alias_maps hold_check=""
  doms=$(domains | paste -sd' ')
  alt=$(domains | sed 's/\./\\./g' | paste -sd'|')
  # texthash needs no postmap, but is read when a process starts: callers reload after a change
  { echo "# generated from $USERS"; cut -d: -f1 "$USERS" | sed 's/$/ OK/'; } | put "$PFDIR/vmailbox"
  for d in $(domains); do echo "postmaster@$d $SINK_USER"; echo "abuse@$d $SINK_USER"; done \
    | put "$PFDIR/valias"
  printf 'if !/@(%s)$/\n/^/ %s\nendif\n' "$alt" "$SINK_USER" | put "$PFDIR/external.regexp"
  printf 'if !/@(%s)$/\n/^/ HOLD external recipient\nendif\n' "$alt" | put "$PFDIR/external-hold.regexp"
  alias_maps="texthash:$PFDIR/valias"
  local mailbox_maps="texthash:$PFDIR/vmailbox" domain_maps=$doms sql="" sender_logins=""
  local group_check="" policy_service=""
  [ "$DB_DRIVER" = none ] || sql=$DB_DRIVER
  if [ -n "$sql" ]; then
    alias_maps="$alias_maps, $sql:$PFDIR/sql-alias.cf, $sql:$PFDIR/sql-alias-self.cf"
    mailbox_maps="$sql:$PFDIR/sql-mailbox.cf, $mailbox_maps"
    domain_maps="$domain_maps, $sql:$PFDIR/sql-domains.cf"
    # managed addresses (and role mailboxes) may only be used by their owners on submission;
    # passwd-file users have no entry, so they are not restricted
    sender_logins="$sql:$PFDIR/sql-sender-login.cf"
    if [ -n "${MAILSTACK_POLICYD:-}" ]; then
      [ -r "$MAILSTACK_POLICYD" ] || die "MAILSTACK_POLICYD $MAILSTACK_POLICYD is not readable"
      # a copy nobody can read (the source may sit under /root); Debian's python, whose
      # python3-psycopg reaches PostgreSQL
      install -m 644 -o root -g root "$MAILSTACK_POLICYD" "$DIR/hamkar-policyd.py"
      group_check="check_recipient_access $sql:$PFDIR/sql-group-policy.cf,"
      policy_service="hamkar-policy unix - n n - 0 spawn user=nobody argv=/usr/bin/python3 -I $DIR/hamkar-policyd.py $DIR/policyd.conf"
    fi
  fi
  case "$EXTERNAL" in
    sink)
      if [ -n "$sql" ]; then alias_maps="$alias_maps, $sql:$PFDIR/sql-external.cf"
      else alias_maps="$alias_maps, regexp:$PFDIR/external.regexp"; fi ;;
    hold)
      hold_check="check_recipient_access regexp:$PFDIR/external-hold.regexp,"
      [ -z "$sql" ] || hold_check="check_recipient_access $sql:$PFDIR/sql-domain-ok.cf, $hold_check" ;;
  esac

  put "$PFDIR/main.cf" <<EOF
# Generated by mailstack.sh for $DIR on every start/adduser. Run: postfix -c $PFDIR start|stop|reload
compatibility_level = 3.6
queue_directory = $QUEUE_LINK
data_directory = $PFDATA
# no syslog here: log to a file (start fails unless the file matches a prefix)
maillog_file = $DIR/postfix.log
maillog_file_prefixes = $DIR
syslog_name = mailstack-postfix

myhostname = mail.$FIRST_DOMAIN
mydomain = $FIRST_DOMAIN
myorigin = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# no local(8) delivery and no /etc/aliases: every hosted domain is delivered to Dovecot over LMTP
mydestination =
local_transport = error:local delivery disabled
alias_maps =
virtual_mailbox_domains = $domain_maps
virtual_mailbox_maps = $mailbox_maps
virtual_alias_maps = $alias_maps
smtpd_sender_login_maps = $sender_logins
# the default (\$virtual_alias_maps) would make every domain the sink regexp matches "local":
# an open relay on smtp-in, and "User unknown in virtual alias table" for real users
virtual_alias_domains =
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
recipient_delimiter = +

# nothing leaves the machine: no relayhost, no smtp client in master.cf, external mail discarded
# unless the sink rewrote its recipient
relayhost =
default_transport = discard:external delivery disabled by mailstack
relay_transport = discard:external delivery disabled by mailstack
disable_dns_lookups = yes
lmtp_host_lookup = native
smtpd_peername_lookup = no

# SASL through Dovecot, enabled only on the submission ports in master.cf (smtpd is not chrooted)
smtpd_sasl_type = dovecot
smtpd_sasl_path = $RUN/auth-postfix
smtpd_tls_cert_file = $DIR/tls/cert.pem
smtpd_tls_key_file = $DIR/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = $hold_check $group_check permit
smtpd_restriction_classes = hamkar_group_policy
hamkar_group_policy = check_policy_service unix:private/hamkar-policy
hamkar-policy_time_limit = 60s

# test-friendly: no error sleeps, short queue times
smtpd_banner = \$myhostname ESMTP mailstack
message_size_limit = 52428800
smtpd_error_sleep_time = 0
in_flow_delay = 0
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
EOF

  local sasl_only=permit_sasl_authenticated,reject sub
  sub="-o smtpd_sasl_auth_enable=yes -o smtpd_client_restrictions=$sasl_only"
  sub="$sub -o smtpd_relay_restrictions=$sasl_only"
  [ "$DB_DRIVER" = none ] || sub="$sub -o smtpd_sender_restrictions=reject_known_sender_login_mismatch"
  put "$PFDIR/master.cf" <<EOF
# Generated by mailstack.sh: no chroot, no smtp/relay client (mail cannot leave), no port 25.
127.0.0.1:$SMTP_IN_PORT inet n - n - - smtpd -o syslog_name=mailstack-postfix/smtp-in
  -o smtpd_sasl_auth_enable=no -o smtpd_relay_restrictions=reject_unauth_destination
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd -o syslog_name=mailstack-postfix/submission
  $sub
127.0.0.1:$SUBMISSIONS_PORT inet n - n - - smtpd -o syslog_name=mailstack-postfix/submissions
  -o smtpd_tls_wrappermode=yes $sub
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
proxywrite unix - - n -     1 proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
lmtp      unix  - - n -     - lmtp
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
$policy_service
EOF
}

write_ports_env() {
  put "$DIR/ports.env" <<EOF
# sourceable; written by mailstack.sh start
IMAP_PORT=$IMAP_PORT
IMAPS_PORT=$IMAPS_PORT
LMTP_PORT=$LMTP_PORT
SIEVE_PORT=$SIEVE_PORT
SMTP_IN_PORT=$SMTP_IN_PORT
SUBMISSION_PORT=$SUBMISSION_PORT
SUBMISSIONS_PORT=$SUBMISSIONS_PORT
TLS_CERT=$DIR/tls/cert.pem
EXTERNAL=$EXTERNAL
SINK_USER=$SINK_USER
SINK_PASSWORD_FILE=$DIR/sink-password
BASE_DIR=$RUN
EOF
}

# ---------------------------------------------------------------- users
set_user() {   # user@domain password [extra-fields]
  local user=${1,,} pw=$2 extra=${3:-} dom hash tmp
  [[ "$user" =~ ^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]+$ ]] || die "bad address: $user"
  [[ -n "$pw" && "$pw" != *:* && "$pw" != *$'\n'* ]] || die "password must be non-empty, without ':' or newline"
  [[ "$extra" != *$'\n'* ]] || die "extra fields must not contain a newline"
  dom=${user#*@}
  domains | grep -qxF "$dom" || echo "$dom" >>"$DOMAINS_FILE"
  # -O: read no config (the system /etc/dovecot may be absent or broken)
  hash=$(doveadm -O pw -s "$PW_SCHEME" -p "$pw") || die "doveadm pw failed for scheme $PW_SCHEME"
  touch "$USERS"
  tmp=$(mktemp "$USERS.XXXXXX")
  grep -v "^$user:" "$USERS" >"$tmp" || true
  # user:password:uid:gid:gecos:home:shell:extra (empty uid/gid/home -> userdb default_fields)
  printf '%s:%s::::::%s\n' "$user" "$hash" "$extra" >>"$tmp"
  chmod 640 "$tmp"; chown root:dovecot "$tmp"
  mv -f "$tmp" "$USERS"
}

# The system mailbox that receives mail for other domains; its password is random, kept in DIR.
ensure_sink_user() {
  grep -q "^$SINK_USER:" "$USERS" 2>/dev/null && [ -s "$DIR/sink-password" ] && return 0
  (umask 077; openssl rand -hex 16 >"$DIR/sink-password")
  set_user "$SINK_USER" "$(cat "$DIR/sink-password")"
}

# Dovecot notices a changed passwd-file about once per second: a login right after adduser
# could fail with "unknown user", so wait until a full passdb + userdb lookup succeeds.
wait_user_visible() {
  [ -n "$(dovecot_pid || true)" ] || return 0
  local i
  for i in $(seq 40); do
    doveadm -c "$CONF" auth login "$1" "$2" >/dev/null 2>&1 </dev/null && return 0
    sleep 0.1
  done
  die "dovecot does not accept $1 after 4 s; see $DIR/dovecot.log"
}

# ---------------------------------------------------------------- commands
check_dir() {
  mkdir -p "$DIR" "$DIR/state" "$DIR/mail"
  chmod 755 "$DIR"
  local u
  for u in $MAIL_USER postfix; do
    runuser -u "$u" -- test -x "$DIR" 2>/dev/null || die "$DIR is not reachable by user $u:" \
      "every parent directory needs o+x (pytest's tmp_path is 0700; use mkdtemp(dir='/tmp') + chmod 755)"
  done
  chown "$MAIL_USER:$MAIL_USER" "$DIR/mail"; chmod 700 "$DIR/mail"
  mkdir -p "$RUN" "$SPOOL"; chown root:root "$RUN"; chmod 755 "$RUN"
  ln -sfn "$SPOOL" "$QUEUE_LINK"
}

cmd_start() {
  ensure_deps
  require_root
  check_dir
  ensure_sink_user
  local running_d running_p p
  running_d=$(dovecot_pid || true); running_p=$(postfix_pid || true)
  # a stale pid file whose PID was reused would make dovecot refuse to start
  [ -n "$running_d" ] || rm -f "$RUN/master.pid"
  # ports of a daemon that is not ours-and-running must be free
  local check="$ALL_PORTS"
  [ -z "$running_d" ] || check=${check#"$IMAP_PORT $IMAPS_PORT $LMTP_PORT $SIEVE_PORT"}
  [ -z "$running_p" ] || check=${check%"$SMTP_IN_PORT $SUBMISSION_PORT $SUBMISSIONS_PORT"}
  for p in $check; do
    if port_open "$p"; then die "port $p is in use by something else (not this stack)"; fi
  done
  check_database
  write_tls; write_dovecot_conf; write_postfix_conf; write_sql_conf; write_last_login_store
  write_ports_env
  doveconf -c "$CONF" -n >/dev/null 2>"$DIR/doveconf.err" \
    || { cat "$DIR/doveconf.err" >&2; die "invalid dovecot config $CONF"; }

  if [ -n "$running_d" ]; then
    log "dovecot running (pid $running_d): reloading"
    doveadm -c "$CONF" reload </dev/null
  else
    # the master keeps the fds it was started with: never hand it the caller's pipes, or a
    # caller that captures output (subprocess.run(capture_output=True)) waits for EOF forever
    dovecot -c "$CONF" </dev/null >"$DIR/dovecot-start.out" 2>&1 \
      || { cat "$DIR/dovecot-start.out" >&2; die "dovecot failed to start; see $DIR/dovecot.log"; }
  fi
  if [ -n "$running_p" ]; then
    log "postfix running (pid $running_p): reloading"
    postfix -c "$PFDIR" reload </dev/null >/dev/null 2>&1
  else
    # postfix reports start-up errors only to a tty (else to syslog, absent here): script(1)
    # gives it one and keeps them in a file
    script -qec "postfix -c $PFDIR start" /dev/null </dev/null >"$DIR/postfix-start.out" 2>&1 \
      || { cat "$DIR/postfix-start.out" >&2; die "postfix failed to start; see $DIR/postfix.log"; }
  fi
  # shellcheck disable=SC2086
  wait_ports $ALL_PORTS || die "ports did not open; see $DIR/dovecot.log and $DIR/postfix.log"
  log "running: dovecot pid $(dovecot_pid), postfix pid $(postfix_pid); ports in $DIR/ports.env"
}

cmd_stop() {
  require_root
  local pp dp
  pp=$(postfix_pid || true); dp=$(dovecot_pid || true)
  # SIGTERM to each master (what `postfix stop` does); they end their own children and shut
  # down in parallel. Nothing else is signalled.
  [ -z "$pp" ] || kill "$pp" 2>/dev/null || true
  [ -z "$dp" ] || kill "$dp" 2>/dev/null || true
  local name pid
  for name in postfix:$pp dovecot:$dp; do
    pid=${name#*:}; [ -n "$pid" ] || continue
    wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true   # after 10 s
    log "${name%%:*} (pid $pid) stopped"
  done
  [ -n "$pp$dp" ] || log "not running for $DIR"
  # base_dir lives in /run, outside DIR: remove it so removing DIR leaves nothing behind
  [ -n "$(dovecot_pid || true)" ] || rm -rf "$RUN"
}

cmd_status() {
  local rc=0 dp pp p name state
  dp=$(dovecot_pid || true); pp=$(postfix_pid || true)
  if [ -n "$dp" ]; then echo "dovecot: running (pid $dp)"; else echo "dovecot: stopped"; rc=3; fi
  if [ -n "$pp" ]; then echo "postfix: running (pid $pp)"; else echo "postfix: stopped"; rc=3; fi
  for p in imap:$IMAP_PORT imaps:$IMAPS_PORT lmtp:$LMTP_PORT managesieve:$SIEVE_PORT \
           smtp-in:$SMTP_IN_PORT submission:$SUBMISSION_PORT submissions:$SUBMISSIONS_PORT; do
    name=${p%%:*}; p=${p#*:}
    if port_open "$p"; then state=open; else state=closed; rc=3; fi
    echo "  $name 127.0.0.1:$p $state"
  done
  [ ! -f "$USERS" ] || echo "users: $(cut -d: -f1 "$USERS" | paste -sd' ')"
  return $rc
}

cmd_adduser() {
  [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: $PROG adduser user@domain password [extra-fields]"
  require_root
  [ -f "$CONF" ] || die "run '$PROG start' first ($CONF missing)"
  check_database 2>/dev/null
  set_user "$1" "$2" "${3:-}"
  write_postfix_conf
  if [ -n "$(postfix_pid || true)" ]; then postfix -c "$PFDIR" reload </dev/null >/dev/null 2>&1; fi
  wait_user_visible "${1,,}" "$2"
  log "user ${1,,} set"
}

cmd_acl_set() {
  [ $# -ge 4 ] || die "usage: $PROG acl-set OWNER FOLDER GRANTEE RIGHTS..."
  require_root
  [ -n "$(dovecot_pid || true)" ] || die "dovecot is not running for $DIR (doveadm resolves users through it)"
  local owner=${1,,} folder=$2 grantee=$3
  shift 3
  # a bare address means that user; anything else is a doveadm ACL id (group=..., anyone, ...)
  [[ "$grantee" == *@* && "$grantee" != *=* ]] && grantee="user=${grantee,,}"
  # listing auto-creates the SPECIAL-USE folders of a user who never logged in
  doveadm -c "$CONF" mailbox list -u "$owner" >/dev/null </dev/null
  doveadm -c "$CONF" acl set -u "$owner" "$folder" "$grantee" "$@" </dev/null
  log "acl on $owner/$folder: $grantee $*"
}

cmd_acl_delete() {
  [ $# -eq 3 ] || die "usage: $PROG acl-delete OWNER FOLDER GRANTEE"
  require_root
  [ -n "$(dovecot_pid || true)" ] || die "dovecot is not running for $DIR"
  local owner=${1,,} folder=$2 grantee=$3
  [[ "$grantee" == *@* && "$grantee" != *=* ]] && grantee="user=${grantee,,}"
  doveadm -c "$CONF" mailbox list -u "$owner" >/dev/null </dev/null
  doveadm -c "$CONF" acl delete -u "$owner" "$folder" "$grantee" </dev/null
  log "acl on $owner/$folder: $grantee removed"
}

cmd_quota_get() {
  [ $# -eq 1 ] || die "usage: $PROG quota-get USER"
  require_root
  [ -n "$(dovecot_pid || true)" ] || die "dovecot is not running for $DIR"
  doveadm -f tab -c "$CONF" quota get -u "${1,,}" </dev/null \
    | awk -F'\t' '$2 == "STORAGE" { print "STORAGE", $3, ($4 == "" ? "-" : $4) }'
}

cmd_purge_mail() {
  [ $# -eq 1 ] || die "usage: $PROG purge-mail USER"
  require_root
  local user=${1,,}
  [[ "$user" =~ ^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]+$ ]] || die "bad address: $user"
  local home="$DIR/mail/${user#*@}/${user%@*}"
  [ -d "$home" ] || { log "no mail for $user"; return 0; }
  rm -rf -- "$home"
  log "mail of $user removed"
}

[ $# -ge 1 ] || usage
CMD=$1; shift
case "$CMD" in
  install-deps) cmd_install_deps ;;
  start|stop|status|adduser|acl-set|acl-delete|quota-get|purge-mail)
    load_settings
    case "$CMD" in
      start) cmd_start ;;
      stop) cmd_stop ;;
      status) cmd_status ;;
      adduser) cmd_adduser "$@" ;;
      acl-set) cmd_acl_set "$@" ;;
      acl-delete) cmd_acl_delete "$@" ;;
      quota-get) cmd_quota_get "$@" ;;
      purge-mail) cmd_purge_mail "$@" ;;
    esac ;;
  *) usage ;;
esac
