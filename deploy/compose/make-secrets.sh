#!/usr/bin/env bash
# Writes the Compose stack's secrets into deploy/compose/secrets/ (git-ignored), once: a random bearer token
# for /metrics (hemastream and Prometheus share it), a random HMAC key for pseudonymised specimen IDs in
# logs (shared by both instances, kept across restarts so pseudonyms stay comparable) and Grafana's admin
# password, and the review page's reviewers file. Existing files are kept.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
for name in metrics-token pseudonym-key grafana-admin-password; do
  if [ ! -s "$dir/$name" ]; then
    head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/$name"
    # Read by the containers' own users (hemastream 10001, Prometheus nobody, Grafana 472): the folder
    # itself is closed to other users of this host.
    chmod 644 "$dir/$name"
    echo "wrote $dir/$name"
  fi
done
# The review page's one reviewer: HTTP Basic "reviewer" + this token; the server keeps only its SHA-256
# (add more with: java -jar target/hemastream-service.jar review --new-reviewer NAME >> secrets/reviewers).
if [ ! -s "$dir/reviewers" ]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/reviewer-token"
  chmod 600 "$dir/reviewer-token"
  printf 'reviewer sha256:%s\n' "$(tr -d '\n' < "$dir/reviewer-token" | sha256sum | cut -d' ' -f1)" > "$dir/reviewers"
  chmod 644 "$dir/reviewers"
  echo "wrote $dir/reviewers (reviewer's token in $dir/reviewer-token)"
fi
echo "Grafana: admin / $(cat "$dir/grafana-admin-password")"
