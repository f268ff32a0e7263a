#!/bin/sh
# make check EX=step3-sleep: checks one exercise of docs/exercises.md and
# says PASS, or what is still missing in a line or two.
# make check: every exercise, as a progress board.
# FORMAT=csv: the same as CSV, a line per exercise, for a teacher to collect:
#   student,exercise,status,detail
# status is pass, fail (the check says what is missing) or error (the step
# does not build, or a test broke); student is STUDENT, or else USER.
set -u
cd "$(dirname "$0")/../.." || exit 2
GO=${GO:-go}
export GO # step4-conn's check runs go itself
FORMAT=${FORMAT:-text}
STUDENT=${STUDENT:-${USER:-$(id -un)}}
. docs/exercises/list.sh

case $FORMAT in
text | csv) ;;
*) echo "FORMAT=$FORMAT: use FORMAT=text (the default) or FORMAT=csv" >&2; exit 2 ;;
esac

# check EX checks one exercise and sets status and detail; its exit status
# is 0 when the exercise is solved.
check() {
	step=${1%%-*}
	name=${1#*-}
	dir=$(ls -d "$step"-*/ | head -n 1)
	case $1 in
	step4-conn) ;;                      # on the lesson's server, step4-server
	step4-*) dir=step4-server/robust ;; # on the server that survives real clients
	esac
	status=pass
	detail=
	out=$($GO test -tags exercises -count=1 -run "^TestExercise\$/^$name\$" "./$dir" 2>&1) && return 0
	status=fail
	detail=$(printf '%s\n' "$out" | sed -n 's/.*MISSING: //p' | head -n 2)
	# No MISSING line: the step does not build, or a test broke. Show how.
	if [ -z "$detail" ]; then
		status=error
		detail=$(printf '%s\n' "$out" | grep -v -e '^---' -e '^===' -e '^FAIL' -e '^ok' -e '^#' | head -n 2)
	fi
	return 1
}

# csvField quotes a CSV field where it needs it (RFC 4180): a comma, a
# double quote (written twice) or a line break; lines become one, with "; ".
csvField() {
	printf '%s\n' "$1" | awk '
		NR > 1 { s = s "; " }
		{ s = s $0 }
		END {
			if (s ~ /[",]/) { gsub(/"/, "\"\"", s); s = "\"" s "\"" }
			print s
		}'
}

# show prints the result of check for exercise EX, in FORMAT.
show() {
	if [ "$FORMAT" = csv ]; then
		printf '%s,%s,%s,%s\n' "$(csvField "$STUDENT")" "$1" "$status" "$(csvField "$detail")"
	elif [ $status = pass ]; then
		echo "PASS  $1"
	else
		printf '%s\n' "$detail" | sed "1s/^/FAIL  $1: /; 2s/^/      /"
	fi
}

one=${1:-}
case " $EXERCISES " in
*" $one "*) ;;
*) [ -z "$one" ] || { echo "no exercise called $one; \`make check\` lists them" >&2; exit 2; } ;;
esac
[ "$FORMAT" = csv ] && echo "student,exercise,status,detail"
if [ -n "$one" ]; then
	check "$one"
	solved=$?
	show "$one"
	exit $solved
fi
solved=0
total=0
for ex in $EXERCISES; do
	total=$((total + 1))
	check "$ex" && solved=$((solved + 1))
	show "$ex"
done
[ "$FORMAT" = csv ] || echo "$solved of $total exercises solved. Check one: make check EX=$(echo $EXERCISES | cut -d' ' -f1)"
