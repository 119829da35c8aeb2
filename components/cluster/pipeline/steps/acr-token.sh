#!/bin/sh
# promote / acr-token: exchange the federated ServiceAccount token for an ACR refresh token.
# Env: ACR, AZURE_CONFIG_DIR, ACR_TOKEN (file on the shared in-memory volume); AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE are
# injected by the workload identity webhook (pod label + ServiceAccount client-id annotation).
set -eu
az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" \
  --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions --output none
az acr login --name "${ACR%%.*}" --expose-token --query accessToken --output tsv > "$ACR_TOKEN"
