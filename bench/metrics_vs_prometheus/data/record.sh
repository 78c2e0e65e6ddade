#!/bin/bash
# Records a service's /metrics every 15 s and packs the scrapes into the
# fixture format scrape_replay.h reads (gzip of "# scrape <n> <unix_ms>"
# lines, each followed by that scrape's text-format body).
#   record.sh URL MINUTES OUT.txt.gz [NOTE]
# e.g. with `quartet demo ... --checkout-admin 127.0.0.1:39465` running:
#   record.sh http://127.0.0.1:39465/metrics 45 checkout_scrapes.txt.gz "..."
set -eu
url=$1 minutes=$2 out=$3 note=${4:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
stop=$(( $(date +%s) + minutes * 60 ))
next=$(( ( $(date +%s) / 15 + 1 ) * 15 ))  # on the 15 s grid, as Prometheus aligns scrapes
while [ "$next" -le "$stop" ]; do
  sleep $(( next - $(date +%s) )) 2>/dev/null || true
  ms=$(date +%s%3N)
  if curl -sf -m 10 -H 'Accept: text/plain;version=0.0.4' "$url" -o "$dir/body"; then
    { echo "# scrape $n $ms"; cat "$dir/body"; } >> "$dir/all"
    n=$((n + 1))
  else
    echo "scrape at $ms failed (left out)" >&2
  fi
  next=$(( next + 15 ))
done
{ echo "# $url, $n scrapes 15 s apart, recorded $(date -u +%Y-%m-%dT%H:%MZ). $note"
  cat "$dir/all"; } | gzip -9 > "$out"
echo "$out: $n scrapes, $(stat -c %s "$out") bytes"
