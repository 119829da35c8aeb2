#!/busybox/sh
# promote / copy: copy the scanned digest from Harbor to ACR together with the signature and the
# attestation Tekton Chains stored beside it, and verify it. Fails closed: nothing is copied until
# both exist in Harbor (Chains signs the push-staging TaskRun's image asynchronously, after it ends).
# Env: SOURCE (<harbor>/<project>/<repo>@<digest>), ACR, TARGET (<acr>/<repo>:<tag>), DIGEST,
# SIGNATURE_TIMEOUT (s), AUTH_DIR, DOCKER_CONFIG (on the /acr volume), ACR_TOKEN, URL_RESULT, DIGEST_RESULT.
#
# Chains' oci storage writes them with cosign's ociremote.WriteSignatures / WriteAttestations
# (tektoncd/chains v0.29.1 pkg/chains/storage/oci/simple.go, attestation.go; cosign v2.6.5), i.e.
# as the tags `sha256-<hex>.sig` and `sha256-<hex>.att` in the image's repository
# (cosign pkg/oci/remote/remote.go SignatureTag/AttestationTag). Copying them by tag keeps their
# digests, so `cosign verify <acr>/<repo>@<digest>` finds the same signature in ACR.
set -eu
case "$DIGEST" in sha256:*) ;; *) echo "digest $DIGEST is not sha256:<hex>" >&2; exit 1;; esac
SRC_REPO=${SOURCE%@*}
DST_REPO=${TARGET%:*}
TAG="sha256-${DIGEST#sha256:}"
mkdir -p "$DOCKER_CONFIG" && cp "$AUTH_DIR/config.json" "$DOCKER_CONFIG/config.json"

DEADLINE=$(( $(date +%s) + SIGNATURE_TIMEOUT ))
for KIND in sig att; do
  until crane digest "$SRC_REPO:$TAG.$KIND" > /dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$DEADLINE" ]; then
      echo "no $KIND for $SRC_REPO@$DIGEST ($TAG.$KIND) after ${SIGNATURE_TIMEOUT}s: Tekton Chains has not signed/attested it; an unsigned image is not promoted" >&2
      exit 1
    fi
    sleep 10
  done
done

crane auth login "$ACR" -u 00000000-0000-0000-0000-000000000000 --password-stdin < "$ACR_TOKEN"
crane copy "$SOURCE" "$TARGET"
GOT=$(crane digest "$TARGET")
[ "$GOT" = "$DIGEST" ] || { echo "ACR has $GOT, expected $DIGEST" >&2; exit 1; }
for KIND in sig att; do
  crane copy "$SRC_REPO:$TAG.$KIND" "$DST_REPO:$TAG.$KIND"
done
printf '%s' "$DST_REPO" > "$URL_RESULT"
printf '%s' "$DIGEST" > "$DIGEST_RESULT"
