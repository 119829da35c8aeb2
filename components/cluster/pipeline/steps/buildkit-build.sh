#!/bin/sh
# build / build: build the image into an OCI layout in the workspace and report its digest.
# Env: CONTEXT, DOCKERFILE, OUT, RESULT (+ BUILDKITD_FLAGS for buildctl-daemonless.sh).
set -eu
buildctl-daemonless.sh build --frontend dockerfile.v0 \
  --local context="$CONTEXT" --local dockerfile="$CONTEXT" --opt filename="$DOCKERFILE" \
  --output type=oci,dest="$OUT",tar=false \
  --metadata-file /tmp/metadata.json
DIGEST=$(tr -d ' \n' < /tmp/metadata.json | grep -o '"containerimage.digest":"sha256:[0-9a-f]\{64\}"' | grep -o 'sha256:[0-9a-f]*')
printf '%s' "$DIGEST" > "$RESULT"
