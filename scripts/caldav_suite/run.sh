#!/bin/bash
# The caldav library's own functional suite (tests/test_caldav.py from its PyPI sdist) against
# a live Hamkar. Usage: scripts/caldav_suite/run.sh   (needs network access to PyPI once)
# Scheduling (RFC 6638) and principal-property-search are declared unsupported: Hamkar does
# not implement them (yet).
# Expected: 67 passed, 2 failed. The failures are TestProxy::testWithProxyParams and
# ::testWithProxyParamsWithoutScheme, a quirk of the suite, not of the server: they send the
# requests through a proxy.py whose plugin marks each answer by finding the bytes
# "\r\nContent-Type: " in it, case-sensitively. Header names are case-insensitive (RFC 9110
# 5.1) and uvicorn sends them as ASGI hands them over, in lower case ("content-type: "), so
# the mark is never added and the test's assertion on it fails although the request went
# through the proxy and was answered. With the plugin matching either case both pass.
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
      principal-search: {support: unsupported}
YAML
cd "$WORK/caldav-$VERSION"
PYTHON_CALDAV_TEST_DOCKER=0 "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/test_caldav.py -rf -o asyncio_default_fixture_loop_scope=function || true
kill "$(cat "$WORK/uvicorn.pid")"
wait "$SERVER" || true
