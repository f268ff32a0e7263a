#!/bin/sh
# make check EX=step3-sleep: checks one exercise of docs/exercises.md and
# says PASS, or what is still missing in a line or two.
# make check: every exercise, as a progress board.
set -u
cd "$(dirname "$0")/../.." || exit 2
GO=${GO:-go}
. docs/exercises/list.sh

# check EX prints one result; its status is 0 when the exercise is solved.
check() {
	ex=$1
	case " $EXERCISES " in
	*" $ex "*) ;;
	*) echo "no exercise called $ex; \`make check\` lists them"; return 2 ;;
	esac
	step=${ex%%-*}
	name=${ex#*-}
	dir=$(ls -d "$step"-*/ | head -n 1)
	out=$($GO test -tags exercises -count=1 -run "^TestExercise\$/^$name\$" "./$dir" 2>&1) && {
		echo "PASS  $ex"
		return 0
	}
	why=$(printf '%s\n' "$out" | sed -n 's/.*MISSING: //p' | head -n 2)
	# No MISSING line: the step does not build, or a test broke. Show how.
	[ -n "$why" ] || why=$(printf '%s\n' "$out" | grep -v -e '^---' -e '^===' -e '^FAIL' -e '^ok' -e '^#' | head -n 2)
	printf '%s\n' "$why" | sed "1s/^/FAIL  $ex: /; 2s/^/      /"
	return 1
}

if [ $# -gt 0 ] && [ -n "$1" ]; then
	check "$1"
	exit $?
fi
solved=0
total=0
for ex in $EXERCISES; do
	total=$((total + 1))
	check "$ex" && solved=$((solved + 1))
done
echo "$solved of $total exercises solved. Check one: make check EX=$(echo $EXERCISES | cut -d' ' -f1)"
