#!/usr/bin/env bash
# Keeps a fresh GitHub OIDC token in the file AZURE_FEDERATED_TOKEN_FILE names, for kubelogin's
# `workloadidentity` login (and any Azure SDK credential that reads it). GitHub's ID tokens
# expire after minutes, while a first `pulumi up` reaches the clusters only after ~13 (AKS
# creation plus the RBAC propagation wait), so the token is re-fetched every 4 minutes until
# the job ends. Needs `permissions: id-token: write`.
set -euo pipefail
file="${AZURE_FEDERATED_TOKEN_FILE:?set AZURE_FEDERATED_TOKEN_FILE}"

fetch() {
  curl -fsS -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?needs id-token: write}" \
    "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=api://AzureADTokenExchange" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])' > "$file.new"
  chmod 600 "$file.new"
  mv "$file.new" "$file"
}

fetch
if [ "${1:-}" = "--keep-fresh" ]; then
  # Detached: outlives this step; the runner ends it with the job.
  nohup bash -c "while sleep 240; do '$0' || true; done" > /dev/null 2>&1 &
fi
