#!/busybox/sh
# signature-check / verify: every image digest under the manifests paths of the pull request's head
# (image-references.py, LIST: `file<TAB>line<TAB>reference<TAB><repo>@<digest>`; unchanged ones
# included) must carry a cosign signature by one of
# the stack's image-signing keys (KEYS: a ConfigMap workspace, one `*.pub` per key generation, so a
# rotation verifies old and new signatures alike). Fails closed: cosign missing or erroring, no key,
# no list, or any digest without a valid signature fails the check, naming file, line and image.
#
# cosign v3.1.1 (the pinned image), sigstore/cosign 7914231b:
# - `--key`: verification with this public key (cmd/cosign/cli/options/verify.go:108).
# - `--insecure-ignore-tlog=true` (options/verify.go:51): Chains signs without a transparency log.
#   With a key and no tlog, cosign needs no TUF trusted root and fetches no Rekor key, i.e. it runs
#   offline apart from the registry (cli/verify/common.go:413 verifyOfflineWithKey → SetTrustedMaterial
#   returns at :183; SetLegacyClientsAndKeys fetches Rekor keys only `if !ignoreTlog`, :152).
# - `--new-bundle-format=false` (options/verify.go:69, default true): Chains v0.29.1 stores legacy
#   `sha256-<hex>.sig` signatures (simple signing); this skips the OCI-referrers bundle lookup
#   (cli/verify/verify.go:151-157) and goes straight to them. check-claims (default) binds the signed
#   payload to the digest verified.
# - `--k8s-keychain` (options/registry.go:69): DefaultKeychain, then … the ACR helper
#   chrismellard/docker-credential-acr-env 82a0ddb2 (options/registry.go:137-146, go.mod), which on
#   `*.azurecr.io` exchanges the workload-identity token AZURE_FEDERATED_TOKEN_FILE (+ AZURE_CLIENT_ID,
#   AZURE_TENANT_ID, injected by the webhook) for an AAD token (pkg/token/token.go:66-84, 92-105) and
#   that for an ACR refresh token (pkg/credhelper/helper.go Get). Without the flag cosign reads only
#   the Docker config (options/registry.go:151-152), which this pod has none of.
#   (--k8s-keychain reads no Kubernetes API here: at v3.1.1 it is only this keychain list.)
# Env: KEYS, LIST. cosign from PATH.
set -eu
fail() { echo "$*" >&2; exit 1; }
command -v cosign > /dev/null 2>&1 || fail "cosign is not on PATH: signatures cannot be verified (failing closed)"
[ -f "$LIST" ] || fail "no list of image references at $LIST (image-references did not run): failing closed"
set -- "$KEYS"/*.pub
[ -e "$1" ] || fail "no public key (*.pub) in $KEYS: every signature would be unverifiable (failing closed)"
if [ ! -s "$LIST" ]; then echo "no image reference under the manifests paths: nothing to verify"; exit 0; fi

unsigned=""
cut -f4 "$LIST" | sort -u > /tmp/digests
while read -r ref; do
  verified=""; : > /tmp/cosign.log
  for key in "$@"; do
    if cosign verify --k8s-keychain --key "$key" --insecure-ignore-tlog=true --new-bundle-format=false "$ref" \
        < /dev/null > /dev/null 2> /tmp/cosign.err; then
      verified="${key##*/}"; break
    fi
    sed "s|^|  cosign (${key##*/}): |" /tmp/cosign.err >> /tmp/cosign.log
  done
  if [ -n "$verified" ]; then
    echo "$ref: signature verified with $verified"
  else
    echo "$ref: NOT verified" >&2; cat /tmp/cosign.log >&2; unsigned="$unsigned $ref"
  fi
done < /tmp/digests

[ -z "$unsigned" ] && exit 0
names=""; for key in "$@"; do names="$names ${key##*/}"; done
echo "Image digests without a valid signature by any of the stack's image-signing keys (${names# }):" >&2
for ref in $unsigned; do
  awk -F '\t' -v ref="$ref" '$4 == ref { printf "  %s:%s: %s\n", $1, $2, $3 }' "$LIST" >&2
done
echo "Only images built by the pipeline (signed by Tekton Chains) and promoted with their signature may be deployed; see docs/runbooks.md." >&2
exit 1
