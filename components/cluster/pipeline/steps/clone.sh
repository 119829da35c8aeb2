#!/bin/sh
# git-clone / clone: fetch exactly one commit (shallow) into the workspace and report its SHA.
# Env (set by the Task): URL, REVISION, DEST, AUTH_BOUND, AUTH_DIR, RESULT.
set -eu
case "$REVISION" in *[!0-9a-f]*|'') echo "revision is not a commit SHA" >&2; exit 1;; esac
[ ${#REVISION} -eq 40 ] || { echo "revision is not a 40-hex commit SHA" >&2; exit 1; }

# The workspace directory is created by the kubelet and owned by root (fsGroup only grants the
# group), while this step runs as uid 65532: git >= 2.35.2 then stops with "detected dubious
# ownership". Trust exactly this directory, in command-line scope through the environment
# (GIT_CONFIG_COUNT), where safe.directory is honoured and nothing is written to a config file
# (git Documentation/config/safe.txt: "only respected in protected configuration", i.e. the
# system, global and command scopes — command scope since git 2.39; the image has 2.49.1).
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$DEST"

cd "$DEST" && find . -mindepth 1 -maxdepth 1 -exec rm -rf {} +
git init -q . && git remote add origin "$URL"
if [ "$AUTH_BOUND" = true ]; then
  # Header on the command line only: the token is never written to .git/config.
  HDR="Authorization: Basic $(printf 'x-access-token:%s' "$(cat "$AUTH_DIR/token")" | base64 | tr -d '\n')"
  git -c http.extraHeader="$HDR" fetch -q --depth 1 origin "$REVISION"
else
  git fetch -q --depth 1 origin "$REVISION"
fi
git checkout -q --detach FETCH_HEAD
[ "$(git rev-parse HEAD)" = "$REVISION" ] || { echo "fetched commit differs from $REVISION" >&2; exit 1; }
printf '%s' "$REVISION" > "$RESULT"
