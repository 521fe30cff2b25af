#!/bin/bash
# Bench: req/s through HAProxy with 1, 2, 3 nodes, and write→served-elsewhere latency.
set -u
# Run from anywhere: bench/cluster.sh (needs redis-server, haproxy, wrk; ports 16392, 17400-17403).
export DIR=$(mktemp -d) ROOT=$(cd "$(dirname "$0")/.." && pwd)
cp "$ROOT/bench/_serve/cluster_app.json" "$DIR/reg.json"
cd "$DIR"
export KILN_ADMIN_TOKEN=${KILN_ADMIN_TOKEN:-tok-0123456789abcdef}
T="authorization: Bearer $KILN_ADMIN_TOKEN"
rm -rf d1 d2 d3
redis-server --port 16392 --save "" --appendonly no --daemonize yes --pidfile $DIR/redis2.pid --logfile $DIR/redis2.log
sleep 0.3
for i in 1 2 3; do (KILN_CONTAINERS=off KILN_LOG_LEVEL=warn deno run -A $ROOT/src/main.ts serve --port 1740$i --data-dir $DIR/d$i --cluster redis://127.0.0.1:16392 --node-id n$i --no-example > $DIR/n$i.log 2>&1 &); done
for i in 1 2 3; do until curl -sf localhost:1740$i/healthz >/dev/null; do sleep 0.5; done; done
curl -s -X POST -H "$T" -H content-type:application/json -d @reg.json localhost:17401/v1/apps >/dev/null
for i in 1 2 3; do until curl -sf localhost:1740$i/apps/shop/hello >/dev/null; do sleep 0.5; done; done
python3 - <<'PY'
import os, re
ROOT, DIR = os.environ['ROOT'], os.environ['DIR']
doc=open(f'{ROOT}/docs/cluster.md').read()
cfg=re.search(r'```haproxy\n(.*?)```',doc,re.S).group(1)
cfg=cfg.replace('127.0.0.1:7400','127.0.0.1:17400').replace(':7411',':17401').replace(':7412',':17402').replace(':7413',':17413')
for n in (1,2,3):
    lines=[l for l in cfg.split('\n') if not re.match(r'\s*server node(\d)',l) or int(re.match(r'\s*server node(\d)',l).group(1))<=n]
    open(f'{DIR}/hap{n}.cfg','w').write('\n'.join(lines).replace(':17413',':17403'))
PY
# Warm-up (discarded): right after start-up the nodes are still building and settling.
wrk -t2 -c16 -d5s http://127.0.0.1:17401/apps/shop/hello >/dev/null
uptime
echo "direct node1:"; wrk -t2 -c16 -d10s http://127.0.0.1:17401/apps/shop/hello | grep -E "Requests/sec|Latency|Non-2xx"
for n in 1 2 3; do
  haproxy -f $DIR/hap$n.cfg -db > $DIR/hap$n.log 2>&1 &
  HP=$!
  until curl -sf localhost:17400/healthz >/dev/null; do sleep 0.3; done
  sleep 1
  echo "haproxy $n node(s):"; wrk -t2 -c16 -d10s http://127.0.0.1:17400/apps/shop/hello | grep -E "Requests/sec|Latency|Non-2xx"
  kill $HP; wait $HP 2>/dev/null
done
uptime
deno run -A "$ROOT/bench/cluster_latency.ts" 50 shop http://127.0.0.1:17401 http://127.0.0.1:17402 http://127.0.0.1:17403
uptime
for p in $(ss -ltnp 2>/dev/null | grep -E ":1740[1-3] " | grep -o "pid=[0-9]*" | cut -d= -f2 | sort -u); do kill "$p"; done
kill "$(cat "$DIR/redis2.pid")"
