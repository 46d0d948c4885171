#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1, without Docker.
#
#   deploy/kafka/kafka.sh fetch     resolve the pinned Kafka jars from Maven Central into the cache
#   deploy/kafka/kafka.sh start     fetch, format storage on first start, start, wait until it accepts connections
#   deploy/kafka/kafka.sh stop      stop cleanly (SIGTERM, then SIGKILL after a grace period)
#   deploy/kafka/kafka.sh status    say whether it runs
#   deploy/kafka/kafka.sh reset     stop and remove every topic and its data (a development broker
#                                   collects the topics of every test and benchmark run)
#   deploy/kafka/kafka.sh kill-node N   SIGKILL node N of a cluster (fault injection)
#   deploy/kafka/kafka.sh stop-node N / start-node N   stop or start node N alone
#
# Every command is safe to re-run. Settings (environment):
#   W4L_KAFKA_PORT      client port (default 9092); the controller listens on port+1
#   W4L_STATE_DIR       where data, logs and the pid live (default <repo>/.state)
#   W4L_CACHE_DIR       where the jars are cached (default ~/.cache/work4life)
#   W4L_KAFKA_HEAP      JVM heap (default 512m)
#   W4L_KAFKA_START_TIMEOUT_S  how long a node may take to accept connections (default 180)
#   W4L_KAFKA_PARTITIONS default partition count for new topics (default 6)
#   W4L_KAFKA_NODES     1 (default): one node. 3 (or more): a cluster of that many nodes on 127.0.0.1,
#                       each broker and KRaft controller (a quorum of voters); node N listens on
#                       port+2(N-1) for clients and the next port for its controller, its state in
#                       <state>/kafka-<port>/node-N/. Topics get 3 replicas and min.insync.replicas=2
#                       (docs/KAFKA.md: the production settings), so one node may be down and
#                       acks=all writes still succeed.
#   W4L_KAFKA_SECURE    1: clients connect over TLS and authenticate with SASL/SCRAM-SHA-512
#                       (SASL_SSL), and every access is checked against ACLs (StandardAuthorizer,
#                       nothing allowed without an ACL). A local CA and the broker's certificate are
#                       made with openssl in <state>/tls/ (clients trust <state>/tls/ca.crt); the
#                       super user `admin` has its password in <state>/admin-password. Create the
#                       services' principals and ACLs with `uv run w4l-kafka-acls apply`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")"
PORT="${W4L_KAFKA_PORT:-9092}"
CONTROLLER_PORT="$((PORT + 1))"
CACHE_DIR="${W4L_CACHE_DIR:-$HOME/.cache/work4life}"
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
ROOT_STATE="${W4L_STATE_DIR:-$REPO/.state}/kafka-$PORT"
NODES="${W4L_KAFKA_NODES:-1}"
[[ "$NODES" =~ ^[0-9]+$ && "$NODES" -ge 1 && "$NODES" -ne 2 ]] || {
  echo "W4L_KAFKA_NODES must be 1, or 3 or more (a quorum of two cannot lose a node)" >&2; exit 2; }
CLUSTER_PORT="$PORT"

node() {
  # Point the per-node variables at node $1 (1-based). One node keeps the layout it always had.
  NODE="$1"
  PORT=$((CLUSTER_PORT + 2 * (NODE - 1)))
  CONTROLLER_PORT=$((PORT + 1))
  if [[ "$NODES" == 1 ]]; then STATE="$ROOT_STATE"; else STATE="$ROOT_STATE/node-$NODE"; fi
  PIDFILE="$STATE/kafka.pid"
  LOGFILE="$STATE/kafka.log"
}
node 1

log() { echo "[kafka:$PORT] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

voters() {
  local i out=""
  for i in $(seq 1 "$NODES"); do out+="${out:+,}$i@127.0.0.1:$((CLUSTER_PORT + 2 * (i - 1) + 1))"; done
  echo "$out"
}

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch Kafka: apt-get install maven"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"; exit 1; }
  log "fetching Apache Kafka $KAFKA_VERSION and its dependencies from Maven Central into $LIBS"
  local tmp="$LIBS.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.mvn.log" 2>&1; then
    cat "$tmp.mvn.log" >&2
    log "Maven could not resolve Kafka $KAFKA_VERSION (see above)"; rm -rf "$tmp"; exit 1
  fi
  rm -f "$tmp.mvn.log"
  rm -rf "$LIBS"; mv "$tmp" "$LIBS"; touch "$LIBS/.complete"
  log "fetched $(ls "$LIBS" | wc -l) jars"
}

SECURE="${W4L_KAFKA_SECURE:-0}"
if [[ "$SECURE" == 1 && "$NODES" != 1 ]]; then
  echo "W4L_KAFKA_SECURE=1 is built for one node; the local cluster speaks PLAINTEXT" >&2; exit 2
fi
ADMIN_PASSWORD_FILE="$STATE/admin-password"
TLS="$STATE/tls"

make_certificates() {
  # A CA of this broker's own, and a server certificate for 127.0.0.1 and localhost signed by it.
  [[ -s "$TLS/server.pem" ]] && return 0
  command -v openssl >/dev/null || { log "openssl is needed for W4L_KAFKA_SECURE=1: apt-get install openssl"; exit 1; }
  mkdir -p "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Work4Life local Kafka CA" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 825 \
    -extfile "$TLS/server.ext" -out "$TLS/server.crt" 2>/dev/null
  # Kafka reads a PEM key store: the (unencrypted PKCS#8) key, then the certificate chain.
  openssl pkcs8 -topk8 -nocrypt -in "$TLS/server.key" >"$TLS/server.pem"
  cat "$TLS/server.crt" "$TLS/ca.crt" >>"$TLS/server.pem"
  chmod 600 "$TLS/ca.key" "$TLS/server.key" "$TLS/server.pem"
}

write_config() {
  mkdir -p "$STATE/data"
  if [[ "$SECURE" == 1 ]]; then
    if [[ ! -s "$ADMIN_PASSWORD_FILE" ]]; then
      (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$ADMIN_PASSWORD_FILE")
    fi
    local admin_password; admin_password="$(cat "$ADMIN_PASSWORD_FILE")"
    make_certificates
    cat >"$STATE/server.properties" <<PROPS
listeners=SASL_SSL://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$PORT
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
ssl.keystore.type=PEM
ssl.keystore.location=$TLS/server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.crt
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin: the operator and the broker itself; ANONYMOUS: the KRaft controller listener, bound to
# 127.0.0.1 and spoken only by this node.
super.users=User:admin;User:ANONYMOUS
PROPS
  else
    cat >"$STATE/server.properties" <<PROPS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
PROPS
  fi
  local replicas=1 isr=1 quorum="controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT"
  if [[ "$NODES" != 1 ]]; then
    # The production settings of docs/KAFKA.md: three copies of everything, two of them in sync
    # before a write with acks=all succeeds, so one node may fail or restart without loss.
    replicas=3 isr=2 quorum="controller.quorum.voters=$(voters)"
  fi
  cat >>"$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=$NODE
$quorum
controller.listener.names=CONTROLLER
log.dirs=$STATE/data
num.partitions=${W4L_KAFKA_PARTITIONS:-6}
# Topics come from the contracts' catalogue, never from a typo in a consumer.
auto.create.topics.enable=false
default.replication.factor=$replicas
min.insync.replicas=$isr
# A replica that fell out of sync never becomes the leader: a write acknowledged is never lost.
unclean.leader.election.enable=false
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
PROPS
}

start_node() {
  # Start node $NODE (formatting its storage on first start with the cluster's id); with `wait`,
  # wait until it accepts connections.
  if running; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  if port_open "$PORT"; then log "port $PORT is taken by another process; set W4L_KAFKA_PORT"; exit 1; fi
  fetch
  write_config
  local cp="$LIBS/*"
  if [[ ! -f "$STATE/data/meta.properties" ]]; then
    local cluster_id mode=(--standalone)
    if [[ "$NODES" == 1 ]]; then
      cluster_id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    else
      # Every node of a cluster is formatted with the same id; the voters are in the configuration.
      [[ -s "$ROOT_STATE/cluster-id" ]] ||
        java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1 >"$ROOT_STATE/cluster-id"
      cluster_id="$(cat "$ROOT_STATE/cluster-id")"
      mode=()
    fi
    log "formatting KRaft storage (cluster $cluster_id)"
    local scram=()
    [[ "$SECURE" == 1 ]] && scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$ADMIN_PASSWORD_FILE")]")
    java -Dlog4j2.configurationFile="$HERE/log4j2.properties" -cp "$cp" kafka.tools.StorageTool \
      format "${mode[@]}" -t "$cluster_id" -c "$STATE/server.properties" "${scram[@]}" >>"$LOGFILE" 2>&1
  fi
  log "starting (logs: $LOGFILE)"
  # setsid: the broker outlives the shell that started it and is not hit by its Ctrl-C.
  setsid java -Xms"${W4L_KAFKA_HEAP:-512m}" -Xmx"${W4L_KAFKA_HEAP:-512m}" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$STATE/server.properties" >>"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
}

wait_node() {
  # A broker that keeps thousands of partitions (a developer's .state after many test runs) takes
  # longer than a fresh one to catch up with its controller.
  local wait_s="${W4L_KAFKA_START_TIMEOUT_S:-180}"
  for _ in $(seq 1 $((wait_s * 2))); do
    if port_open "$PORT"; then log "ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return 0; fi
    if ! running; then tail -30 "$LOGFILE" >&2; log "exited during start-up (see above)"; exit 1; fi
    sleep 0.5
  done
  tail -30 "$LOGFILE" >&2; log "not accepting connections after $wait_s s"; exit 1
}

start() {
  # A cluster's nodes start together: none can finish starting before a quorum of them runs.
  mkdir -p "$ROOT_STATE"
  local i
  for i in $(seq 1 "$NODES"); do node "$i"; start_node; done
  for i in $(seq 1 "$NODES"); do node "$i"; wait_node; done
  if [[ "$NODES" != 1 ]]; then
    node 1
    log "cluster of $NODES nodes: bootstrap $(bootstrap)"
  fi
}

bootstrap() {
  local i out=""
  for i in $(seq 1 "$NODES"); do out+="${out:+,}127.0.0.1:$((CLUSTER_PORT + 2 * (i - 1)))"; done
  echo "$out"
}

stop_node() {
  if ! running; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null; then rm -f "$PIDFILE"; log "stopped"; return 0; fi
    sleep 0.5
  done
  log "still running after 30 s: killing"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

kill_node() {
  if ! running; then log "not running"; return 0; fi
  kill -KILL "$(cat "$PIDFILE")" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "killed (SIGKILL)"
}

stop() {
  # A cluster's nodes are asked to stop together: one by one, the last ones would lose their quorum
  # and wait for it in their controlled shutdown.
  local i
  for i in $(seq 1 "$NODES"); do node "$i"; running && kill -TERM "$(cat "$PIDFILE")" 2>/dev/null || true; done
  for i in $(seq 1 "$NODES"); do node "$i"; stop_node; done
  node 1
}

reset() {
  # Tests and benchmarks each create their own namespaced topics; on a long-lived development
  # machine they pile up (16,000 partitions ran a 512 MB broker out of heap). This wipes them.
  stop
  local i
  for i in $(seq 1 "$NODES"); do node "$i"; rm -rf "$STATE/data" "$STATE/server.properties"; done
  rm -f "$ROOT_STATE/cluster-id"
  node 1
  log "data removed; the next start formats a new cluster"
}

status() {
  local i down=0
  for i in $(seq 1 "$NODES"); do
    node "$i"
    if running && port_open "$PORT"; then log "running (pid $(cat "$PIDFILE"))"; else log "not running"; down=1; fi
  done
  return $((down * 3))
}

one_node() {
  [[ "${2:-}" =~ ^[0-9]+$ && "$2" -ge 1 && "$2" -le "$NODES" ]] || {
    echo "usage: $0 $1 N (1..$NODES; set W4L_KAFKA_NODES for a cluster)" >&2; exit 2; }
  node "$2"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  bootstrap) bootstrap ;;
  kill-node) one_node "$@"; kill_node ;;
  stop-node) one_node "$@"; stop_node ;;
  start-node) one_node "$@"; start_node; wait_node ;;
  *) echo "usage: $0 {fetch|start|stop|status|reset|bootstrap|kill-node N|stop-node N|start-node N}" >&2; exit 2 ;;
esac
