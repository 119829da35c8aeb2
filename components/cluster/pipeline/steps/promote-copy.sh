#!/busybox/sh
# promote / copy: copy the scanned digest from Harbor to ACR and verify it.
# Env: SOURCE, ACR, TARGET, DIGEST, AUTH_DIR, DOCKER_CONFIG, URL_RESULT, DIGEST_RESULT.
set -eu
mkdir -p /acr/docker && cp "$AUTH_DIR/config.json" /acr/docker/config.json
crane auth login "$ACR" -u 00000000-0000-0000-0000-000000000000 --password-stdin < /acr/token
crane copy "$SOURCE" "$TARGET"
GOT=$(crane digest "$TARGET")
[ "$GOT" = "$DIGEST" ] || { echo "ACR has $GOT, expected $DIGEST" >&2; exit 1; }
printf '%s' "${TARGET%:*}" > "$URL_RESULT"
printf '%s' "$DIGEST" > "$DIGEST_RESULT"
