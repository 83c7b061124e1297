#!/bin/sh
# check_source.sh: house rules that a compiler does not check, over every
# C file under proxy/ and plugins/ (see STYLE.md). Prints TAP.
#  - no unbounded or unchecked string and number functions;
#  - each library behind one file: curl in upstream.c, Lua in sandbox.c,
#    OpenSSL in crypto.c, expat in xml.c, SQLite in store.c, libvirt in
#    libvirt.c, evhttp and bufferevents in front.c, the event loop itself
#    only where timers and signals are armed;
#  - every file opens with a comment that says what it is for;
#  - no marker of unfinished work.
cd "${top_srcdir:-.}" || exit 1
n=0
fail=0
check() {	# check DESCRIPTION OUTPUT
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$2" | sed 's/^/# /'
		fail=1
	fi
}
files=$(ls proxy/*.c proxy/*.h plugins/*.c)
[ -n "$files" ] || { echo "Bail out! no sources found"; exit 1; }

check "no sprintf, strcpy, strcat, gets, atoi, strtok, alloca, system, popen" \
    "$(grep -nE '(^|[^_a-z])(v?sprintf|strcpy|strcat|gets|atoi|atol|atof|strtok|alloca|system|popen)[ 	]*\(' $files)"

only() {	# only PATTERN FILE...: PATTERN is included in those files only
	pat=$1; shift
	allowed=" $* "
	bad=
	for f in $(grep -lE "#include <$pat" $files); do
		case "$allowed" in *" $f "*) ;; *) bad="$bad $f" ;; esac
	done
	check "<$pat...> only in $*" "$bad"
}
only 'curl/' proxy/upstream.c
only '(lua|lauxlib|lualib)\.h' proxy/sandbox.c
only 'openssl/' proxy/crypto.c
only '(expat|expat_external)\.h' proxy/xml.c
only 'sqlite3\.h' proxy/store.c
only 'libvirt/' proxy/libvirt.c
only 'event2/(http|buffer|bufferevent|listener|keyvalq)' proxy/front.c
only 'event2/event\.h' proxy/front.c proxy/upstream.c proxy/panel.c proxy/sightlined.c \
    proxy/snapshot.c proxy/hvlist.c

nocomment=
for f in $files; do
	head -1 "$f" | grep -q '^/\*' || nocomment="$nocomment $f"
done
check "every source file opens with a comment" "$nocomment"

check "no TODO, FIXME or XXX left in the code" \
    "$(grep -nE 'TODO|FIXME|XXX' $files)"

echo "1..$n"
exit $fail
