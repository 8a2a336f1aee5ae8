#!/usr/bin/env bash
# Makes the injector's serving certificate without cert-manager: a self-signed CA and a certificate for
# trellis-injector.trellis-system.svc, stored as the Secret trellis-injector-tls, and the CA written into the
# MutatingWebhookConfiguration's caBundle. Run after `kubectl apply -k deploy/kubernetes` (or before; it only needs
# the namespace); run it again to renew, then restart the injector.
set -euo pipefail

namespace=trellis-system
service=trellis-injector
webhook=trellis-sigv4-proxy-injector
days=${DAYS:-365}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=trellis-injector-ca" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=$service.$namespace.svc" -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' \
  "$service.$namespace.svc" "$service.$namespace.svc.cluster.local" "$service.$namespace" > "$work/ext.cnf"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days "$days" \
  -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null

kubectl -n "$namespace" create secret tls "$service-tls" --cert="$work/tls.crt" --key="$work/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
if kubectl get mutatingwebhookconfiguration "$webhook" >/dev/null 2>&1; then
  kubectl patch mutatingwebhookconfiguration "$webhook" --type=json -p "[{\"op\":\"add\",\
\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$(base64 < "$work/ca.crt" | tr -d '\n')\"}]"
else
  echo "note: $webhook does not exist yet; apply deploy/kubernetes, then run this again to set its caBundle" >&2
fi
echo "Secret $namespace/$service-tls written; restart the injector to load it:"
echo "  kubectl -n $namespace rollout restart deployment $service"
