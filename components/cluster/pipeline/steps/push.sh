#!/busybox/sh
# push-staging / push: push the OCI layout to Harbor staging and check the digest.
# Env: DOCKER_CONFIG, IMAGE, EXPECTED, LAYOUT, RESULT.
set -eu
REF=$(crane push "$LAYOUT" "$IMAGE")
DIGEST=${REF##*@}
[ "$DIGEST" = "$EXPECTED" ] || { echo "pushed $DIGEST, built $EXPECTED" >&2; exit 1; }
printf '%s' "$DIGEST" > "$RESULT"
