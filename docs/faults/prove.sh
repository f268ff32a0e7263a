#!/bin/sh
# make faults: proves every fault in docs/faults/list.sh. Its test must pass
# on the tree, and fail once docs/faults/NAME.patch is applied to a copy of
# it. Each test binary is built once, and runs that one test only.
# The tree is the committed one (HEAD), as for make fault: uncommitted edits
# are neither proved nor disturbed.
set -u
cd "$(dirname "$0")/../.." || exit 2
GO=${GO:-go}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
head=$bin/head
mkdir "$head"
git archive HEAD | tar -xf - -C "$head" || exit 2
echo "On a copy of the committed tree (HEAD $(git rev-parse --short HEAD)); uncommitted changes are not proved."
. "$head/docs/faults/list.sh"
failed=0
# prove LABEL PATCH DIR TEST: TEST, in DIR, passes on the tree and fails
# once PATCH is applied to a copy of it.
prove() {
	label=$1 patch=$2 dir=$3 test=$4
	run="^$(printf '%s' "$test" | sed 's|/|$/^|g')\$"
	test_bin="$bin/$(printf '%s' "$dir" | tr / _).test" # step4-server/robust: step4-server_robust.test
	[ -x "$test_bin" ] || (cd "$head" && $GO test -c -o "$test_bin" "./$dir") || exit 1
	tmp=$(mktemp -d)
	cp -R "$head/." "$tmp"
	if ! (cd "$head/$dir" && "$test_bin" -test.run "$run" -test.v -test.timeout 2m >"$bin/out" 2>&1); then
		echo "FAIL  $label: $test fails on the tree, without $patch:"
		cat "$bin/out"
		failed=1
	elif ! grep -q "^--- PASS: ${test%%/*} " "$bin/out"; then
		echo "FAIL  $label: there is no test $test in $dir"
		failed=1
	elif ! (cd "$tmp" && git apply "$patch"); then
		echo "FAIL  $label: $patch does not apply"
		failed=1
	elif ! (cd "$tmp" && $GO test -c -o "$bin/fault.test" "./$dir"); then
		echo "FAIL  $label: the tree does not build with $patch"
		failed=1
	elif (cd "$tmp/$dir" && "$bin/fault.test" -test.run "$run" -test.timeout 2m >"$bin/out" 2>&1); then
		echo "FAIL  $label: $test passes with $patch: it does not catch it"
		failed=1
	else
		echo "ok    $label: $test fails with $patch"
	fi
	rm -rf "$tmp"
}
while read -r name dir test what; do
	[ -n "$name" ] && prove "$name" "docs/faults/$name.patch" "$dir" "$test"
done <<END
$FAULTS
END
while read -r name test shows what; do
	[ -n "$name" ] || continue
	if (cd "$head" && $GO test -tags faults -count=1 -run "^$test\$" ./step4-server >"$bin/out" 2>&1); then
		echo "FAIL  $name: $test passes on the lesson's server: it no longer shows the fault"
		failed=1
	elif ! grep -q "^--- FAIL: $test " "$bin/out"; then
		echo "FAIL  $name: $test does not run, or does not build, on the lesson's server:"
		cat "$bin/out"
		failed=1
	elif ! grep -m1 'faults_test.go' "$bin/out" | grep -q -- "$shows"; then
		echo "FAIL  $name: $test fails on the lesson's server, but its first failure does not say \"$shows\": another mistake, not the fault?"
		cat "$bin/out"
		failed=1
	else
		echo "ok    $name: $test fails on the lesson's server: $(grep -m1 'faults_test.go' "$bin/out" | sed 's/^ *//' | cut -c1-100)"
	fi
done <<END
$LESSON_FAULTS
END
# The regressions in docs/faults/regressions/list.sh, proved as the faults
# are, with docs/faults/regressions/NAME.patch.
. "$head/docs/faults/regressions/list.sh"
while read -r name dir test what; do
	[ -n "$name" ] && prove "regression $name" "docs/faults/regressions/$name.patch" "$dir" "$test"
done <<END
$REGRESSIONS
END
[ $failed -eq 0 ] && echo "every fault's test passes on the tree, and fails with the fault; every fault of the lesson's server shows"
exit $failed
