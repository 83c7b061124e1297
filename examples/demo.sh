#!/bin/sh
# demo.sh: what "make demo" runs. Starts five panel emulators (Proxmox VE,
# Virtualizor, SolusVM 1, SolusVM 2, VirtFusion) and one sightlined in front
# of all of them, with examples/sightline.conf and the default policies on
# 127.0.0.1; shows a few hoster queries with their answers, checks a signed
# answer with sightline verify-response, audits the snapshot log twice
# with sightline audit, and stays up until Ctrl-C
# (DEMO_ONESHOT=1: stop after the queries).
#
# Environment (set by make): SRCDIR, BUILDDIR, PYTHON3, OPENSSL, CURL.
set -eu

SRCDIR=${SRCDIR:-.}
BUILDDIR=${BUILDDIR:-.}
PYTHON3=${PYTHON3:-/usr/bin/python3}
OPENSSL=${OPENSSL:-openssl}
CURL=${CURL:-curl}
DEMO=$BUILDDIR/demo
TOKEN=demo-hoster-token
EMU_PIDS= DAEMON_PID=

die() { echo "demo: $*" >&2; exit 1; }

stop() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && \
	    wait "$DAEMON_PID" 2>/dev/null
	for p in $EMU_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	DAEMON_PID= EMU_PIDS=
}
trap 'stop' EXIT
trap 'echo; echo "demo: stopping"; stop; exit 0' INT TERM

for port in 8006 4085 5656 8101 8102 8443 8080; do
	if "$PYTHON3" -c "import socket,sys; s=socket.socket(); \
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); \
	    s.bind(('127.0.0.1', $port))" 2>/dev/null; then :; else
		die "port $port on 127.0.0.1 is in use; the demo needs 8006, 4085, 5656, 8101, 8102, 8443 and 8080"
	fi
done

# A fresh demo directory: certificates, the panel token, config, policy.
rm -rf "$DEMO"
mkdir -p "$DEMO/policies"
cp "$SRCDIR/examples/sightline.conf" "$DEMO/"
for p in proxmox virtualizor solusvm1 solusvm2 virtfusion; do
	cp "$SRCDIR/policies/$p.lua" "$DEMO/policies/"
done
(
	cd "$DEMO"
	"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out panel-ca.pem -days 7 \
	    -subj "/CN=sightline demo CA" 2>/dev/null
	"$OPENSSL" req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
	echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
	"$OPENSSL" x509 -req -in server.csr -CA panel-ca.pem -CAkey ca.key \
	    -CAcreateserial -out server.pem -days 7 -extfile server.ext \
	    2>/dev/null
	chmod 600 server.key ca.key
	umask 077
	echo 'auditor@pve!sightline=00000000-0000-0000-0000-000000000000' \
	    > pve.token
	# The emulators' demo credentials (tests/emu/*_emu.py --help).
	echo 'adminapikey=sightlinekey0000000000000000test&adminapipass=sightlinepass000000000000000test' \
	    > vz.cred
	echo 'id=sightline&key=CANARY-APIKEY-0123456789abcdef' > svm1.cred
	echo 'svm2-test-token-0123456789abcdef' > svm2.token
	echo 'vf-test-token-0123456789abcdef' > vf.token
)
"$BUILDDIR/sightline" keygen --name reseller.example/sightline \
    --out "$DEMO" >/dev/null 2>&1 || die "sightline keygen failed"

emulator() {	# emulator SCRIPT PORT [ARGS...]: one panel emulator over TLS
	script=$1 port=$2
	shift 2
	"$PYTHON3" "$SRCDIR/tests/emu/$script" --listen "127.0.0.1:$port" \
	    --tls-cert "$DEMO/server.pem" --tls-key "$DEMO/server.key" \
	    --log "$DEMO/emulator-$port.log" "$@" \
	    >"$DEMO/emulator-$port.out" 2>&1 &
	EMU_PIDS="$EMU_PIDS $!"
}
emulator pve_emu.py 8006 --fixtures "$SRCDIR/tests/fixtures/proxmox" \
    --generate 20 --nodes 3
emulator virtualizor_emu.py 4085 --generate 10
emulator solusvm1_emu.py 5656 --generate 10
emulator solusvm2_emu.py 8101 --generate 10
emulator virtfusion_emu.py 8102 --generate 10

# sightlined retries a panel that is not up yet, but the demo waits for them.
for port in 8006 4085 5656 8101 8102; do
	i=0
	until "$PYTHON3" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the emulator on port $port did not start; see $DEMO/emulator-$port.out"
		sleep 0.1
	done
done

"$BUILDDIR/sightlined" -n -f "$DEMO/sightline.conf"
"$BUILDDIR/sightlined" -f "$DEMO/sightline.conf" 2>"$DEMO/sightlined.log" &
DAEMON_PID=$!

hoster() {
	"$CURL" -sS --cacert "$DEMO/panel-ca.pem" \
	    -H "Authorization: Bearer $TOKEN" "$@"
}
pretty() {
	"$PYTHON3" -c 'import json, sys
doc = json.load(sys.stdin)
text = json.dumps(doc, indent=2)
lines = text.splitlines()
print("\n".join(lines[:int(sys.argv[1])]))
if len(lines) > int(sys.argv[1]):
	print("  ... (%d more lines)" % (len(lines) - int(sys.argv[1])))' "$1"
}

i=0
until hoster -o /dev/null -f https://127.0.0.1:8443/v1/vps 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "sightlined did not get an inventory; see $DEMO/sightlined.log"
	kill -0 "$DAEMON_PID" 2>/dev/null || die "sightlined stopped; see $DEMO/sightlined.log"
	sleep 0.1
done

show() {
	echo
	echo "\$ $1"
}
URL=https://127.0.0.1:8443

show "curl -H 'Authorization: Bearer $TOKEN' $URL/v1/vps"
hoster "$URL/v1/vps" | pretty 40

show "curl ... '$URL/v1/lookup?ip=203.0.113.41'"
hoster "$URL/v1/lookup?ip=203.0.113.41" | pretty 60

show "curl ... '$URL/v1/lookup?ip=203.0.113.81'   (a VirtFusion VPS: owner committed, owner_ps)"
hoster "$URL/v1/lookup?ip=203.0.113.81" | pretty 50

show "a saved answer, checked with the verifier key from /v1/key"
hoster "$URL/v1/key" > "$DEMO/reseller.vkey"
{ echo "GET /v1/lookup?ip=203.0.113.41 HTTP/1.1"
  hoster -i "$URL/v1/lookup?ip=203.0.113.41"; } > "$DEMO/answer.http"
echo "\$ sightline verify-response --key reseller.vkey answer.http"
"$BUILDDIR/sightline" verify-response --key "$DEMO/reseller.vkey" \
    "$DEMO/answer.http" || die "the signed answer did not verify"
sed 's/203.0.113.41\/24/203.0.113.99\/24/' "$DEMO/answer.http" \
    > "$DEMO/answer-tampered.http"
echo "\$ sightline verify-response --key reseller.vkey answer-tampered.http   (one address changed)"
"$BUILDDIR/sightline" verify-response --key "$DEMO/reseller.vkey" \
    "$DEMO/answer-tampered.http" && die "a tampered answer verified"

show "curl ... $URL/v1/checkpoint   (the snapshot log's signed head)"
hoster "$URL/v1/checkpoint"

printf '%s\n' "$TOKEN" > "$DEMO/hoster.token"
chmod 600 "$DEMO/hoster.token"
rm -rf "$DEMO/audit"
audit() {
	"$BUILDDIR/sightline" audit "$URL" --key "$DEMO/reseller.vkey" \
	    --state "$DEMO/audit" --token-file "$DEMO/hoster.token" \
	    --cafile "$DEMO/panel-ca.pem"
}
show "sightline audit $URL --key reseller.vkey --state audit   (the hoster's first audit: trust on first use)"
audit || die "the first audit failed"
# ?fresh=1 refreshes a panel at most every min_refresh_interval (10 s).
echo
echo "(asking ?fresh=1 until the panels are refreshed and a second snapshot is logged)"
i=0
until hoster "$URL/v1/checkpoint" | sed -n 2p | grep -qv '^1$'; do
	i=$((i + 1))
	[ $i -lt 30 ] || die "no second snapshot; see $DEMO/sightlined.log"
	hoster -o /dev/null "$URL/v1/vps?fresh=1"
	sleep 1
done
show "sightline audit ...   (after another snapshot: consistency proven, changes, cosignature)"
audit || die "the second audit failed"

show "curl ... $URL/api2/json/nodes/pve1/qemu/100/config   (native Proxmox call)"
hoster "$URL/api2/json/nodes/pve1/qemu/100/config" | pretty 30

show "curl ... -X POST $URL/api2/json/nodes/pve1/qemu/100/status/stop   (a write)"
hoster -X POST -i "$URL/api2/json/nodes/pve1/qemu/100/status/stop" | \
    tr -d '\r' | sed -n '1p;$p'
echo
show "curl ... $URL/api2/json/access/users   (not on the allow-list)"
hoster -i "$URL/api2/json/access/users" | tr -d '\r' | sed -n '1p;$p'
echo
show "curl ... '$URL/native/vz/index.php?act=vs&delete=1001'   (a Virtualizor write, as a GET)"
hoster -i "$URL/native/vz/index.php?act=vs&delete=1001" | tr -d '\r' | \
    sed -n '1p;$p'
echo

echo
echo "The five emulators received these requests, all reads:"
"$PYTHON3" -c 'import json, sys
for path in sys.argv[1:]:
    reqs = [json.loads(l) for l in open(path) if l.strip()]
    print("  %-28s %5d requests, methods %s, writes %d, secret reads %d" % (
          path.rsplit("/", 1)[-1], len(reqs), sorted({r["method"] for r in reqs}),
          sum(1 for r in reqs if r.get("write")),
          sum(1 for r in reqs if r.get("secret"))))' \
    "$DEMO"/emulator-*.log

if [ "${DEMO_ONESHOT:-0}" = 1 ]; then
	echo
	echo "demo: done (DEMO_ONESHOT=1)"
	exit 0
fi
echo
echo "sightlined is serving $URL and http://127.0.0.1:8080"
echo "  token: $TOKEN   CA: $DEMO/panel-ca.pem   log: $DEMO/sightlined.log"
echo "  try:   curl --cacert $DEMO/panel-ca.pem -H 'Authorization: Bearer $TOKEN' '$URL/v1/nodes'"
echo "Ctrl-C stops the demo."
wait "$DAEMON_PID"
