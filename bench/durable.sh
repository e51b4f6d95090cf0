#!/usr/bin/env bash
# Durable QoS 1 throughput: Starling with persistence (durability sync, then periodic) and
# Mosquitto with persistence, one after the other, each pinned to the same CPU, driven by the
# same load tool (`starling bench p2p -q 1 --persistent`: persistent sessions, so that every
# message is stored for its subscriber) pinned to the other CPU. Each broker gets a fresh data
# directory.
#
#   bench/durable.sh            # 5 s measured after 2 s warm-up, per broker
#   DURATION=3 WARMUP=1 bench/durable.sh
#
# What each promises differs: Starling `sync` acknowledges a PUBLISH only after an fsync (group
# commit); `periodic` after the write, fsync every 100 ms; Mosquitto with `persistence true`
# writes its database every `autosave_interval` seconds (here 1), acknowledging before that.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"

duration="${DURATION:-5}"
warmup="${WARMUP:-2}"
pairs="${PAIRS:-10}"
broker_cpu="${BROKER_CPU:-0}"
tool_cpu="${TOOL_CPU:-1}"
if [ "$(nproc)" -lt 2 ]; then
  broker_cpu=0
  tool_cpu=0
fi
bin/starling --version >/dev/null # builds the jar if needed
jar="$home/cli/target/starling.jar"

# shellcheck source=bench/lib.sh
. "$home/bench/lib.sh"

start_broker() { # name port
  local data="$work/data-$1"
  mkdir -p "$data"
  case "$1" in
    starling-sync | starling-periodic)
      cat >"$work/$1.yaml" <<YAML
persistence:
  enabled: true
  data_dir: $data
  durability: ${1#starling-}
YAML
      # Through bin/starling, which execs the JVM: its JDK and JVM flags.
      STARLING_JAR="$jar" taskset -c "$broker_cpu" bin/starling broker --bind 127.0.0.1 \
        --port "$2" --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
      ;;
    mosquitto)
      if ! command -v mosquitto >/dev/null 2>&1; then
        echo "durable.sh: mosquitto is missing (apt-get install mosquitto); skipped" >&2
        return 1
      fi
      cat >"$work/mosquitto.conf" <<CONF
listener $2 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_inflight_messages 32
max_queued_messages 1000
persistence true
persistence_location $data/
autosave_interval 1
CONF
      taskset -c "$broker_cpu" mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
      ;;
  esac
  broker_pid=$!
  wait_port "$2"
}

stop_broker() {
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

field() { # name line
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

printf '%-20s %12s %10s %6s %6s\n' "broker" "msg/s" "p99 us" "lost" "dup"
for b in starling-sync starling-periodic mosquitto; do
  port=$(free_port)
  if ! start_broker "$b" "$port"; then
    continue
  fi
  line=$(taskset -c "$tool_cpu" java -jar "$jar" bench p2p -q 1 -P "$pairs" --persistent \
    -p "$port" -d "$duration" -w "$warmup" --broker-pid "$broker_pid" | grep '^RESULT' ||
    echo "RESULT failed")
  stop_broker
  printf '%-20s %12s %10s %6s %6s\n' "$b" "$(field msgs_per_s "$line")" "$(field p99_us "$line")" \
    "$(field lost "$line")" "$(field dup "$line")"
done
echo
echo "p2p, $pairs publisher/subscriber pairs, QoS 1, persistent sessions, 64-byte payloads;"
echo "${duration}s measured after ${warmup}s warm-up; broker on CPU $broker_cpu, tool on CPU $tool_cpu."
echo "Machine: $(nproc) CPUs, $(uname -r), disk under $(df -P "$work" | awk 'NR==2 {print $1}')."
