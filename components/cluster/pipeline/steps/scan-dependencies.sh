#!/bin/sh
# scan-source / dependencies: Trivy filesystem scan of the checkout with the STACK's settings only.
# Env: SRC, SEVERITIES, ALLOWLIST (reviewed CVE ids, one per line), CONFIG_YAML (the stack's
# trivy.yaml), TRIVY_CACHE_DIR.
#
# Trivy v0.69.3 reads its config file from --config, default "trivy.yaml" relative to the working
# directory (pkg/flag/global_flags.go ConfigFileFlag; pkg/commands/app.go initConfig), and its
# ignore file from --ignorefile, default ".trivyignore" (pkg/flag/report_flags.go,
# pkg/result/filter.go DefaultIgnoreFile). Both are given explicitly, and the working directory is
# /tmp, not the checkout, so the repository's trivy.yaml / .trivyignore never count.
set -eu
cd /tmp
printf '%s\n' "$CONFIG_YAML" > /tmp/trivy.yaml
printf '%s\n' "$ALLOWLIST" > /tmp/allowlist
trivy fs --config /tmp/trivy.yaml --scanners vuln --severity "$SEVERITIES" \
  --ignorefile /tmp/allowlist --exit-code 1 --no-progress "$SRC"
