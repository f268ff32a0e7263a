#!/bin/sh
# make solutions: proves every exercise's check and reference solution. For
# each exercise, on a copy of the tree: the check must fail; then, with
# docs/solutions/EX.patch applied, it must pass.
set -u
cd "$(dirname "$0")/../.." || exit 2
. docs/exercises/list.sh
root=$(pwd)
failed=0
for ex in $EXERCISES; do
	tmp=$(mktemp -d)
	# The files git tracks, as they are in the working tree.
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$tmp"
	if (cd "$tmp" && sh docs/exercises/check.sh "$ex" >/dev/null); then
		echo "FAIL  $ex: its check passes on the unsolved tree"
		failed=1
	elif ! (cd "$tmp" && git apply "$root/docs/solutions/$ex.patch"); then
		echo "FAIL  $ex: docs/solutions/$ex.patch does not apply"
		failed=1
	elif ! (cd "$tmp" && sh docs/exercises/check.sh "$ex"); then
		failed=1
	fi
	rm -rf "$tmp"
done
[ $failed -eq 0 ] && echo "every solution passes its check, and no check passes without it"
exit $failed
