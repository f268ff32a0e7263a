#!/bin/sh
# make fault NAME=partial-write: shows what one of step 4's fixes prevents.
# On a copy of the committed tree (HEAD), it undoes the fix with
# docs/faults/NAME.patch and runs the one test that catches it. HEAD, not
# the working tree: a learner's own edits (an exercise solved in step 4)
# would stop the patch from applying, and are left alone.
# make fault NAME=backlog SERVER=lesson: shows a fault that the lesson's
# server in step4-server/ keeps, by running the test that it fails, in the
# working tree (fix the fault there, and the test passes).
# make fault: lists the faults.
set -u
cd "$(dirname "$0")/../.." || exit 2
GO=${GO:-go}
. docs/faults/list.sh
if [ $# -eq 0 ] || [ -z "$1" ]; then
	echo "Each fault undoes one of the robust server's fixes (step4-server/robust); see it fail with: make fault NAME=..."
	printf '%s\n' "$FAULTS" | while read -r name dir test what; do
		[ -n "$name" ] && printf '  %-14s %s\n' "$name" "$what"
	done
	echo "The lesson's server (step4-server) keeps these; see one happen with: make fault NAME=... SERVER=lesson"
	printf '%s\n' "$LESSON_FAULTS" | while read -r name test shows what; do
		[ -n "$name" ] && printf '  %-14s %s\n' "$name" "$what"
	done
	exit 0
fi
case ${SERVER:-robust} in
robust) ;;
lesson)
	line=$(printf '%s\n' "$LESSON_FAULTS" | awk -v n="$1" '$1 == n')
	if [ -z "$line" ]; then
		echo "the lesson's server has no fault called $1; \`make fault\` lists them"
		exit 2
	fi
	set -f
	set -- $line
	name=$1 test=$2
	shift 3
	echo "The lesson's server, and its fault: $*."
	echo "$GO test -tags faults -count=1 -run '^$test\$' ./step4-server"
	if $GO test -tags faults -count=1 -run "^$test\$" ./step4-server; then
		echo "$test passes: the server in step4-server/ no longer has this fault. Did you fix it?"
		exit 0
	fi
	echo
	echo "That is the fault. The test, $test, is in step4-server/faults_test.go; robust/ fixes it."
	exit 0
	;;
*)
	echo "SERVER=$SERVER: use SERVER=lesson, or leave it out for the robust server"
	exit 2
	;;
esac
line=$(printf '%s\n' "$FAULTS" | awk -v n="$1" '$1 == n')
if [ -z "$line" ]; then
	echo "no fault called $1; \`make fault\` lists them"
	exit 2
fi
set -f
set -- $line
name=$1 dir=$2 test=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive HEAD | tar -xf - -C "$tmp" || exit 2
echo "On a copy of the committed tree (HEAD $(git rev-parse --short HEAD)); your working tree is left alone."
echo "The fix: $*."
echo "docs/faults/$name.patch undoes it:"
echo
grep -v -e '^diff --git' -e '^index ' "$tmp/docs/faults/$name.patch"
echo
if ! (cd "$tmp" && git apply "docs/faults/$name.patch"); then
	echo "docs/faults/$name.patch does not apply to HEAD: were changes to $dir/ committed? Try it in a fresh clone."
	exit 2
fi
run="^$(printf '%s' "$test" | sed 's|/|$/^|g')\$" # TestX/sub: ^TestX$/^sub$
echo "$GO test -count=1 -run '$run' ./$dir"
if (cd "$tmp" && $GO test -count=1 -run "$run" "./$dir"); then
	echo "$test passes without the fix: docs/faults/$name.patch no longer undoes it."
	exit 1
fi
echo
echo "That is what the fix prevents. The test, $test, is in $dir/; the fix, in the lines the patch takes out."
