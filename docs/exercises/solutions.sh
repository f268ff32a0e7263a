#!/bin/sh
# make solutions: proves every exercise's check and solutions. For each
# exercise, on a copy of the tree: the check must fail as the step stands;
# it must fail with each plausible wrong solution, docs/solutions/wrong/EX-*.patch
# (there must be one at least); and it must pass with docs/solutions/EX.patch.
# The copy is of the committed tree (HEAD), patches included: a learner's
# own edits to a step would stop the patches from applying, and are left
# alone.
set -u
cd "$(dirname "$0")/../.." || exit 2
echo "On a copy of the committed tree (HEAD $(git rev-parse --short HEAD)); your working tree is left alone."
head=$(mktemp -d)
trap 'rm -rf "$head"' EXIT
git archive HEAD | tar -xf - -C "$head" || exit 2
. "$head/docs/exercises/list.sh"
failed=0
for ex in $EXERCISES; do
	tmp=$(mktemp -d)
	cp -R "$head/." "$tmp"
	if (cd "$tmp" && sh docs/exercises/check.sh "$ex" >/dev/null); then
		echo "FAIL  $ex: its check passes on the unsolved tree"
		failed=1
	fi
	wrong=$(cd "$head" && ls docs/solutions/wrong/"$ex"-*.patch 2>/dev/null)
	if [ -z "$wrong" ]; then
		echo "FAIL  $ex: no wrong solution in docs/solutions/wrong/ to prove that its check rejects one"
		failed=1
	fi
	for patch in $wrong; do
		name=${patch#docs/solutions/}
		if ! (cd "$tmp" && git apply "$patch"); then
			echo "FAIL  $ex: $name does not apply"
			failed=1
			continue
		fi
		if out=$(cd "$tmp" && sh docs/exercises/check.sh "$ex"); then
			echo "FAIL  $ex: its check passes $name"
			failed=1
		else
			echo "ok    $ex rejects $name: ${out#FAIL  $ex: }" | head -n 1
		fi
		(cd "$tmp" && git apply -R "$patch") || failed=1
	done
	if ! (cd "$tmp" && git apply "docs/solutions/$ex.patch"); then
		echo "FAIL  $ex: docs/solutions/$ex.patch does not apply"
		failed=1
	elif ! (cd "$tmp" && sh docs/exercises/check.sh "$ex"); then
		failed=1
	fi
	rm -rf "$tmp"
done
[ $failed -eq 0 ] && echo "every solution passes its check, every wrong one fails it, and no check passes the unsolved steps"
exit $failed
