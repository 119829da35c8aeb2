#!/busybox/sh
# push-staging / push: push the OCI layout to Harbor staging and check the digest. IMAGE_URL and
# IMAGE_DIGEST are Tekton Chains' type hints: Chains signs this Harbor image (tasks.ts CHAINS_TYPE_HINT_SUFFIXES).
# Env: DOCKER_CONFIG, IMAGE (<harbor>/<project>/<repository>:<tag>), EXPECTED, LAYOUT, URL_RESULT, RESULT.
set -eu
REF=$(crane push "$LAYOUT" "$IMAGE")
DIGEST=${REF##*@}
[ "$DIGEST" = "$EXPECTED" ] || { echo "pushed $DIGEST, built $EXPECTED" >&2; exit 1; }
printf '%s' "${IMAGE%:*}" > "$URL_RESULT"
printf '%s' "$DIGEST" > "$RESULT"
