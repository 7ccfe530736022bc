# A throw-away PostgreSQL for the test suite (sourced by ./test).
# Runs as the 'postgres' user when we are root (PostgreSQL refuses to run as root), keeps
# its data under a temporary folder, listens on 127.0.0.1 on a free port, and is stopped
# and removed when the test command exits.

_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

start_test_postgres() {
  if [ -n "${KIOSK_TEST_PG_URL:-}" ]; then return 0; fi
  local bin port as=()
  if ! bin=$(_pg_bin); then
    echo "[postgres] PostgreSQL is not installed: PostgreSQL tests will be skipped (they fail under CI=true)" >&2
    return 0
  fi
  PG_TMP=$(mktemp -d /tmp/kiosk-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$PG_TMP"
    as=(runuser -u postgres --)
  fi
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${as[@]}" "$bin/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c max_connections=300" start >/dev/null
  export KIOSK_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -m fast stop)
  trap 'stop_test_postgres' EXIT
  echo "[postgres] test server on 127.0.0.1:$port" >&2
}

stop_test_postgres() {
  [ -n "${PG_TMP:-}" ] || return 0
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
  PG_TMP=""
}
