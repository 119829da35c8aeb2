#!/bin/sh
# open-pr / push-branch: clone the manifests repo's base branch, point every pinned reference to
# the image at the new digest under each region path (the arguments), commit and push a branch.
# Env: URL, BASE, IMAGE, DIGEST, REVISION, GIT_AUTHOR_*/GIT_COMMITTER_*, AUTH_DIR, RESULT.
set -eu
# Header on the command line only: the token is never written to .git/config.
HDR="Authorization: Basic $(printf 'x-access-token:%s' "$(cat "$AUTH_DIR/token")" | base64 | tr -d '\n')"
git -c http.extraHeader="$HDR" clone -q --depth 1 --branch "$BASE" "$URL" repo && cd repo
BRANCH="bump/$(basename "$IMAGE")-$(printf '%s' "$DIGEST" | cut -c8-19)"
git checkout -q -b "$BRANCH"
# Replace every pinned reference to this image (tag@digest or @digest) by the new digest.
PATTERN="$(printf '%s' "$IMAGE" | sed 's/[.[\*^$/]/\\&/g')"
for p in "$@"; do
  [ -d "$p" ] || { echo "no path $p in the manifests repo" >&2; exit 1; }
  find "$p" -type f \( -name '*.yaml' -o -name '*.yml' \) -exec \
    sed -i -E "s#${PATTERN}(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}#${IMAGE}@${DIGEST}#g" {} +
done
if git diff --quiet; then echo 'manifests already at this digest'; printf '' > "$RESULT"; exit 0; fi
git commit -q -am "Deploy $(basename "$IMAGE")@$DIGEST" -m "Built from $REVISION, scanned in Harbor, promoted to ACR by digest."
git -c http.extraHeader="$HDR" push -q --force origin "HEAD:refs/heads/$BRANCH"
printf '%s' "$BRANCH" > "$RESULT"
