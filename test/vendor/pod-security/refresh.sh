#!/bin/sh
# Re-vendors Kubernetes' Pod Security Standards test fixtures (the pass/fail pods upstream's own
# pod-security-admission tests use) for one Kubernetes minor, from kubernetes/pod-security-admission
# (the published copy of kubernetes/kubernetes staging/src/k8s.io/pod-security-admission).
#
#   test/vendor/pod-security/refresh.sh [TAG] [MINOR]      e.g. refresh.sh v0.34.9 1.34
#
# TAG v0.<minor>.<patch> is the release of Kubernetes v1.<minor>.<patch>. PSA_GIT_DIR may name an
# existing git directory of that repository (no network needed); otherwise it is cloned.
# Only testdata/{baseline,restricted}/v<MINOR>/{pass,fail} is copied, byte for byte, plus LICENSE;
# ORIGIN records repository, tag and commit. Review the diff, then run `npm test`.
set -eu
TAG=${1:-v0.34.9}
MINOR=${2:-1.34}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=https://github.com/kubernetes/pod-security-admission

if [ -z "${PSA_GIT_DIR:-}" ]; then
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    git clone --quiet --depth 1 --branch "$TAG" "$REPO" "$TMP/psa"
    PSA_GIT_DIR="$TMP/psa/.git"
fi
COMMIT=$(git --git-dir="$PSA_GIT_DIR" rev-parse "$TAG^{commit}")

rm -rf "$HERE/testdata"
for level in baseline restricted; do
    for verdict in pass fail; do
        src="test/testdata/$level/v$MINOR/$verdict"
        dst="$HERE/testdata/$level/v$MINOR/$verdict"
        mkdir -p "$dst"
        files=$(git --git-dir="$PSA_GIT_DIR" ls-tree --name-only "$COMMIT" "$src/")
        [ -n "$files" ] || { echo "refresh.sh: $src not found at $TAG" >&2; exit 1; }
        for f in $files; do
            git --git-dir="$PSA_GIT_DIR" show "$COMMIT:$f" > "$dst/$(basename "$f")"
        done
    done
done
git --git-dir="$PSA_GIT_DIR" show "$COMMIT:LICENSE" > "$HERE/LICENSE"
printf 'repository: %s\ntag: %s\ncommit: %s\npath: test/testdata/{baseline,restricted}/v%s/{pass,fail}\n' \
    "$REPO" "$TAG" "$COMMIT" "$MINOR" > "$HERE/ORIGIN"
echo "vendored $(find "$HERE/testdata" -name '*.yaml' | wc -l) fixtures from $REPO $TAG ($COMMIT)"
