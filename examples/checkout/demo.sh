#!/usr/bin/env bash
# The demo until `quartet demo` exists: quartetd on 127.0.0.1:4318 with its
# data in /tmp/quartet-demo, and the checkout service sending it traces and
# logs (only OTEL_EXPORTER_OTLP_ENDPOINT set). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=build/bin
data=${QUARTET_DEMO_DIR:-/tmp/quartet-demo}
mkdir -p "$data"

"$bin/quartetd" --data-dir "$data/quartetd" --http-listen 127.0.0.1:4318 >"$data/quartetd.log" 2>&1 &
quartetd_pid=$!
trap 'kill $quartetd_pid ${checkout_pid:-} 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf 127.0.0.1:4318/ready >/dev/null && break; sleep 0.1; done

[ -e "$data/checkout.db" ] || echo "first start: seeding 12M orders into $data/checkout.db (~15 s)"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
  "$bin/checkout" --listen 127.0.0.1:8080 --admin 127.0.0.1:9464 --db "$data/checkout.db" \
  >"$data/checkout.log" 2>&1 &
checkout_pid=$!
for _ in $(seq 600); do curl -sf 127.0.0.1:8080/healthz >/dev/null && break; sleep 0.1; done

cat <<'TEXT'
quartetd: http://127.0.0.1:4318   checkout: http://127.0.0.1:8080   (logs in $QUARTET_DEMO_DIR or /tmp/quartet-demo)
UI:       http://127.0.0.1:4318/   (Explore traces, a trace's waterfall and logs, Explore logs)

  curl '127.0.0.1:8080/checkout?user_id=42'                       # the heavy user
  curl -d '' '127.0.0.1:8080/admin/migration?action=drop_index'    # the "migration"
  curl -G 127.0.0.1:4318/api/search --data-urlencode 'q={ span.http.route = "/checkout" }'
  curl 127.0.0.1:4318/api/v1/traces/<traceID>/summary            # the correlation index
  curl 127.0.0.1:4318/api/v1/traces/<traceID>/logs               # its log lines, no time range
  curl -G 127.0.0.1:4318/loki/api/v1/query_range --data-urlencode 'query={service_name="checkout"} |= "db query"'

Ctrl-C stops both.
TEXT
wait $checkout_pid
