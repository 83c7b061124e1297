#!/bin/sh
# demo.sh: what "make demo" runs. Starts the Proxmox emulator and sightlined
# with examples/sightline.conf and the default policy on 127.0.0.1, shows a
# few hoster queries with their answers, and stays up until Ctrl-C
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
EMU_PID= DAEMON_PID=

die() { echo "demo: $*" >&2; exit 1; }

stop() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && \
	    wait "$DAEMON_PID" 2>/dev/null
	[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && \
	    wait "$EMU_PID" 2>/dev/null
	DAEMON_PID= EMU_PID=
}
trap 'stop' EXIT
trap 'echo; echo "demo: stopping"; stop; exit 0' INT TERM

for port in 8006 8443 8080; do
	if "$PYTHON3" -c "import socket,sys; s=socket.socket(); \
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); \
	    s.bind(('127.0.0.1', $port))" 2>/dev/null; then :; else
		die "port $port on 127.0.0.1 is in use; the demo needs 8006, 8443 and 8080"
	fi
done

# A fresh demo directory: certificates, the panel token, config, policy.
rm -rf "$DEMO"
mkdir -p "$DEMO/policies"
cp "$SRCDIR/examples/sightline.conf" "$DEMO/"
cp "$SRCDIR/policies/proxmox.lua" "$DEMO/policies/"
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
)
"$BUILDDIR/sightline" keygen --name reseller.example/sightline \
    --out "$DEMO" >/dev/null 2>&1 || die "sightline keygen failed"

"$PYTHON3" "$SRCDIR/tests/emu/pve_emu.py" --listen 127.0.0.1:8006 \
    --tls-cert "$DEMO/server.pem" --tls-key "$DEMO/server.key" \
    --fixtures "$SRCDIR/tests/fixtures/proxmox" --generate 20 --nodes 3 \
    --log "$DEMO/emulator.log" >"$DEMO/emulator.out" 2>&1 &
EMU_PID=$!

# sightlined retries a panel that is not up yet, but the demo waits for it.
i=0
until "$CURL" -s -o /dev/null --cacert "$DEMO/panel-ca.pem" https://127.0.0.1:8006/api2/json/version; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "the emulator did not start; see $DEMO/emulator.out"
	sleep 0.1
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

show "curl ... $URL/api2/json/nodes/pve1/qemu/100/config   (native Proxmox call)"
hoster "$URL/api2/json/nodes/pve1/qemu/100/config" | pretty 30

show "curl ... -X POST $URL/api2/json/nodes/pve1/qemu/100/status/stop   (a write)"
hoster -X POST -i "$URL/api2/json/nodes/pve1/qemu/100/status/stop" | \
    tr -d '\r' | sed -n '1p;$p'
echo
show "curl ... $URL/api2/json/access/users   (not on the allow-list)"
hoster -i "$URL/api2/json/access/users" | tr -d '\r' | sed -n '1p;$p'
echo

echo
echo "The emulator received $(wc -l < "$DEMO/emulator.log") requests, all reads:"
"$PYTHON3" -c 'import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("  methods:", sorted({r["method"] for r in reqs}),
      " writes:", sum(1 for r in reqs if r.get("write")),
      " secret reads:", sum(1 for r in reqs if r.get("secret")))' \
    "$DEMO/emulator.log"

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
