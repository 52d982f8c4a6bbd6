#!/bin/bash
# The caldav library's own functional suite (tests/test_caldav.py from its PyPI sdist) against
# a live Hamkar. Usage: scripts/caldav_suite/run.sh   (needs network access to PyPI once)
# Scheduling (RFC 6638: invitations delivered by the server) is declared unsupported: Hamkar
# sends iTIP by mail. The suite's testPrincipals calls its own deprecated principals(), whose
# DeprecationWarning the suite turns into an error; that one warning is ignored.
# Expected: 70 passed, 9 skipped, 0 failed. The server runs on h11, as `hamkar serve` does, so
# header names go out as the app spells them ("Content-Type"): the suite's TestProxy plugin
# looks for "\r\nContent-Type: " byte for byte (uvicorn's httptools would write it in lower case).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${CALDAV_SUITE_DIR:-/tmp/hamkar-caldav-suite}"
VERSION="$("$ROOT/.venv/bin/python" -c 'import caldav; print(caldav.__version__)')"
mkdir -p "$WORK"
if [ ! -d "$WORK/caldav-$VERSION" ]; then
  "$ROOT/.venv/bin/pip" download -q "caldav==$VERSION" --no-binary :all: --no-deps -d "$WORK"
  tar -C "$WORK" -xzf "$WORK/caldav-$VERSION.tar.gz"
fi
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q "$WORK/caldav-$VERSION" pytest pytest-asyncio pytest-timeout \
    proxy.py tzlocal pyyaml vobject pyfakefs
fi
rm -f "$WORK/creds"
"$ROOT/.venv/bin/python" "$ROOT/scripts/caldav_suite/serve.py" "$WORK" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do [ -s "$WORK/creds" ] && break; sleep 0.3; done
read -r PORT PASSWORD < "$WORK/creds"
for _ in $(seq 1 100); do curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$PORT/dav/" && break; sleep 0.3; done
cat > "$WORK/caldav-$VERSION/tests/caldav_test_servers.yaml" <<YAML
test-servers:
  radicale: {type: embedded, enabled: false}
  xandikos: {type: embedded, enabled: false}
  hamkar:
    type: external
    enabled: true
    url: http://127.0.0.1:$PORT/
    username: suite@example.com
    password: $PASSWORD
    features:
      scheduling: {support: unsupported}
YAML
cd "$WORK/caldav-$VERSION"
PYTHON_CALDAV_TEST_DOCKER=0 "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/test_caldav.py -rf -W "ignore:principals() is deprecated:DeprecationWarning" -o asyncio_default_fixture_loop_scope=function || true
kill "$(cat "$WORK/uvicorn.pid")"
wait "$SERVER" || true
