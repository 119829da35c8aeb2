#!/bin/sh
# test / test: run the Dockerfile's test stage inside rootless BuildKit; nothing is exported.
# Env: CONTEXT, DOCKERFILE, TARGET (+ BUILDKITD_FLAGS for buildctl-daemonless.sh).
set -eu
buildctl-daemonless.sh build --frontend dockerfile.v0 \
  --local context="$CONTEXT" --local dockerfile="$CONTEXT" --opt filename="$DOCKERFILE" \
  --opt target="$TARGET" \
  --output type=cacheonly
