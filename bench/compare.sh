#!/usr/bin/env bash
# Side-by-side benchmark: Starling and Mosquitto, one after the other, each pinned to the same
# CPU, driven by the same load tool (`starling bench`) pinned to the other CPU. Prints a table of
# both figures and their ratio, with medians over several rounds.
#
#   bench/compare.sh            # full run, 3 rounds (about 15 minutes on 2 cores)
#   bench/compare.sh --quick    # 1 round, shorter runs (about 4 minutes)
#
# Environment: ROUNDS, DURATION, WARMUP, CONNS (idle connections, default: the open-file limit
# allows), CONNS_HOLD (seconds they are held idle before memory is read, default 40), BROKER_CPU
# (default 0), TOOL_CPU (default 1); ONLY (a regular expression: run only the
# scenarios it matches, and skip idle connections unless it matches "conns"), STARLING_CONFIG (a
# YAML file the Starling broker starts with), STARLING_JAR (another build's jar), BROKERS (default
# "starling mosquitto"; "starling" alone to try JVM flags quickly), TOOL_JAR (the load tool's jar,
# default: the one Starling runs, so that an old build can be measured with the new tool); JAVA_HOME and
# STARLING_JAVA_OPTS as for bin/starling (the broker's JDK and flags; the load tool always runs on
# java from PATH, so that it stays the same). Everything talks to 127.0.0.x only.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"

rounds="${ROUNDS:-3}"
duration="${DURATION:-5}"
warmup="${WARMUP:-2}"
if [ "${1:-}" = "--quick" ]; then
  rounds=1
  duration=3
  warmup=1
fi
broker_cpu="${BROKER_CPU:-0}"
tool_cpu="${TOOL_CPU:-1}"
if [ "$(nproc)" -lt 2 ]; then
  broker_cpu=0
  tool_cpu=0
fi

# ---- prerequisites ------------------------------------------------------------------------
if ! command -v mosquitto >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing mosquitto from Debian's packages..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  else
    echo "compare.sh: mosquitto is missing (apt-get install mosquitto)" >&2
    exit 1
  fi
fi
if [ -n "${STARLING_JAR:-}" ]; then
  jar="$STARLING_JAR"
else
  bin/starling --version >/dev/null # builds the jar if needed
  jar="$home/cli/target/starling.jar"
fi
starling_config=()
if [ -n "${STARLING_CONFIG:-}" ]; then
  starling_config=(-c "$STARLING_CONFIG")
fi
# Every process here may hold as many sockets as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
hard_limit="$(ulimit -Hn)"
conns="${CONNS:-$((hard_limit - 200))}"
brokers="${BROKERS:-starling mosquitto}"
conns_hold="${CONNS_HOLD:-40}"

# shellcheck source=bench/lib.sh
. "$home/bench/lib.sh"

starling_jvm="" # from the broker's start-up line: JDK, vendor and GC
start_broker() { # name port
  case "$1" in
    starling)
      # Through bin/starling (which execs the JVM, so the pid is the broker's): the same JDK
      # (JAVA_HOME, else java on PATH) and JVM flags (STARLING_JAVA_OPTS, else its defaults).
      STARLING_JAR="$jar" taskset -c "$broker_cpu" bin/starling broker --bind 127.0.0.1 --port "$2" "${starling_config[@]}" \
        >"$work/starling.log" 2>&1 &
      ;;
    mosquitto)
      # Mosquitto's defaults, but with TCP_NODELAY as Starling has (otherwise Nagle's algorithm
      # dominates its latency), the same in-flight window and queue length, and no persistence.
      cat >"$work/mosquitto.conf" <<EOF
listener $2 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_inflight_messages 1024
max_queued_messages 1000
persistence false
EOF
      taskset -c "$broker_cpu" mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
      ;;
  esac
  broker_pid=$!
  wait_port "$2"
  if [ "$1" = starling ] && [ -z "$starling_jvm" ]; then
    starling_jvm="$(sed -n 's/.*Starling listening on.*; \(JDK .*\))$/\1/p' "$work/starling.log" | head -1)"
  fi
}

stop_broker() {
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

bench() { # port args...
  local port=$1
  shift
  taskset -c "$tool_cpu" java -jar "${TOOL_JAR:-$jar}" bench "$@" -p "$port" -d "${hold:-$duration}" -w "$warmup" \
    --broker-pid "$broker_pid" | grep '^RESULT' || echo "RESULT failed"
}

field() { # name line
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

median() {
  sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2}'
}

# The fixed rate of the latency scenarios (issue #17 sets its target at 10,000 msg/s).
latency_rate=10000
scenarios=(
  "fanin -q 0" "fanin -q 1" "fanin -q 2"
  "fanout -S 100 -q 0" "fanout -S 100 -q 1" "fanout -S 100 -q 2"
  "p2p -q 0" "p2p -q 1" "p2p -q 2"
  "latency -q 0 -r $latency_rate" "latency -q 1 -r $latency_rate"
)
if [ -n "${ONLY:-}" ]; then
  selected=()
  for sc in "${scenarios[@]}"; do
    if [[ "$sc" =~ $ONLY ]]; then
      selected+=("$sc")
    fi
  done
  scenarios=("${selected[@]}")
fi
run_conns=true
if [ -n "${ONLY:-}" ] && ! [[ conns =~ $ONLY ]]; then
  run_conns=false
fi

for round in $(seq 1 "$rounds"); do
  for b in $brokers; do
    port=$(free_port)
    start_broker "$b" "$port"
    for i in "${!scenarios[@]}"; do
      # shellcheck disable=SC2086
      line=$(bench "$port" ${scenarios[$i]})
      echo "$line" >>"$work/$b.$i"
      echo "round $round $b ${scenarios[$i]}: $(field msgs_per_s "$line") msg/s, lost $(field lost "$line"), p50 $(field p50_us "$line") us, p99 $(field p99_us "$line") us, p99.9 $(field p999_us "$line") us" >&2
    done
    stop_broker
    if ! $run_conns; then
      continue
    fi
    # Idle connections: a fresh broker each time, so that its memory is measured from start.
    port=$(free_port)
    start_broker "$b" "$port"
    # MQTT 5.0, keep-alive 60 (issue #17's case), as fast as the broker accepts them (at most 100
    # in progress); msgs_per_s is the rate they were opened at. They are held idle for CONNS_HOLD
    # seconds before the broker's memory is read: longer than the 15-30 s after which bin/starling's
    # JVM gives back heap it does not use, so that the figure is an idle fleet's, not a burst's.
    line=$(hold="$conns_hold" bench "$port" conns -n "$conns" -V 5 --keep-alive 60 --connect-rate 100000 \
      --source 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5)
    echo "$line" >>"$work/$b.conns"
    echo "round $round $b conns: $(field conns "$line") up, $(field bytes_per_conn "$line") B/conn, $(field msgs_per_s "$line") conn/s" >&2
    stop_broker
  done
done

printf '\n%-22s %14s %14s %8s %10s %10s\n' "scenario" "starling" "mosquitto" "ratio" "lost S/M" "p50us S/M"
printf '%-22s %14s %14s %8s %10s %10s\n' "----------------------" "--------------" "--------------" "--------" "----------" "----------"
med() { # metric file
  if [ -f "$2" ]; then
    while read -r l; do field "$1" "$l"; done <"$2" | median
  else
    echo "-"
  fi
}
row() { # label metric file-suffix higher|lower [with-loss]
  local s m loss="" p50="" with="${5:-}"
  s=$(med "$2" "$work/starling.$3")
  m=$(med "$2" "$work/mosquitto.$3")
  if { [ "$2" = msgs_per_s ] && [ "$3" != conns ]; } || [ "$with" = with-loss ]; then
    # Messages the brokers acknowledged and never delivered (median over rounds), and median latency.
    loss="$(med lost "$work/starling.$3")/$(med lost "$work/mosquitto.$3")"
    p50="$(med p50_us "$work/starling.$3")/$(med p50_us "$work/mosquitto.$3")"
  fi
  local ratio="-"
  if [[ "$s" =~ ^[0-9.]+$ && "$m" =~ ^[0-9.]+$ ]] && [ "${m%.*}" != "0" ] && [ "${s%.*}" != "0" ]; then
    if [ "$4" = higher ]; then
      ratio=$(awk -v a="$s" -v b="$m" 'BEGIN {printf "%.2fx", a / b}')
    else
      ratio=$(awk -v a="$s" -v b="$m" 'BEGIN {printf "%.2fx", b / a}')
    fi
  fi
  printf '%-22s %14s %14s %8s %10s %10s\n' "$1" "$s" "$m" "$ratio" "$loss" "$p50"
}
for i in "${!scenarios[@]}"; do
  sc="${scenarios[$i]}"
  case "$sc" in
    latency*)
      # p99 and p99.9 at the fixed rate (in the footer), one publisher, one subscriber.
      label="${sc% -r *}"
      row "$label p99 us" p99_us "$i" lower with-loss
      row "$label p99.9 us" p999_us "$i" lower with-loss
      ;;
    *) row "$sc msg/s" msgs_per_s "$i" higher ;;
  esac
done
if $run_conns; then
  row "idle conns held" conns conns higher
  row "bytes per idle conn" bytes_per_conn conns lower
  row "conns opened per s" msgs_per_s conns higher
fi
echo
echo "Medians of $rounds round(s); ${duration}s measured after ${warmup}s warm-up; 64-byte payloads;"
echo "latency: one publisher at $latency_rate msg/s, one subscriber; lost S/M: messages never delivered;"
echo "broker on CPU $broker_cpu, load tool on CPU $tool_cpu; ratios > 1 favour Starling."
echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r);" \
  "$(mosquitto -h 2>&1 | head -1)."
echo "Starling: ${starling_jvm:-JVM unknown}; ${STARLING_JAVA_OPTS:-the JVM flags of bin/starling};" \
  "load tool: $(java -version 2>&1 | head -1)."
