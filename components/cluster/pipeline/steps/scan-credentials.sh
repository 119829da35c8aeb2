#!/bin/sh
# scan-source / credentials: gitleaks over the checkout with the STACK's configuration only.
# Env: SRC (the checkout), CONFIG_TOML (the stack's gitleaks.toml, whose [allowlist] is the only
# place a finding may be allowed).
#
# What the scanned repository could otherwise use to switch the scan off (gitleaks v8.30.1,
# cmd/root.go @83d9cd68): initConfig loads (source)/.gitleaks.toml unless --config is given;
# Detector loads .gitleaksignore from --gitleaks-ignore-path (default "." = the working
# directory) AND, unconditionally, from (source)/.gitleaksignore; `gitleaks:allow` comments count
# unless --ignore-gitleaks-allow. Hence: explicit --config, an explicit ignore file outside the
# checkout, a working directory outside the checkout, --ignore-gitleaks-allow, and a refusal to
# scan a checkout that carries its own top-level .gitleaksignore.
set -eu
cd /tmp
printf '%s\n' "$CONFIG_TOML" > /tmp/gitleaks.toml
: > /tmp/gitleaksignore  # the stack allowlists in gitleaks.toml; this only keeps "." from being read
if [ -e "$SRC/.gitleaksignore" ]; then
  echo "the repository has its own .gitleaksignore, which gitleaks would honour; only the stack's gitleaks.toml allowlist may suppress findings: remove it" >&2
  exit 1
fi
gitleaks dir --no-banner --redact --exit-code 1 \
  --config /tmp/gitleaks.toml --gitleaks-ignore-path /tmp/gitleaksignore --ignore-gitleaks-allow \
  "$SRC"
