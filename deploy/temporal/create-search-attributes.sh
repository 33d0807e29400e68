#!/bin/sh
# Registers omega's custom search attributes in the Temporal namespace. Safe to run again.
# Runs in temporalio/admin-tools; the temporal CLI reads TEMPORAL_ADDRESS from the environment.
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
attributes="BusinessId:Int ConversationId:Int MessageId:Int Channel:Keyword"

# Fails until the server is up and auto-setup has registered the namespace.
wait_for() {
  description="$1"
  shift
  tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 150 ]; then
      echo "gave up waiting for $description" >&2
      exit 1
    fi
    sleep 2
  done
}

list_attributes() {
  temporal operator search-attribute list --namespace "$namespace"
}

has_attribute() {
  list_attributes | grep -qw "$1"
}

wait_for "namespace $namespace on ${TEMPORAL_ADDRESS:-the Temporal server}" list_attributes

# One attribute per call: the server rejects a whole batch when any of it already exists,
# which would leave the rest missing after a partial first run.
for attribute in $attributes; do
  name="${attribute%%:*}"
  type="${attribute#*:}"
  if output=$(temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type" 2>&1); then
    echo "created search attribute $name ($type)"
  elif echo "$output" | grep -qi 'already exists'; then
    echo "search attribute $name already exists"
  else
    echo "$output" >&2
    exit 1
  fi
done

# The frontend learns new attributes through its namespace cache; until then it rejects
# workflows that set them, so the API and workers start only once all are listed.
for attribute in $attributes; do
  wait_for "search attribute ${attribute%%:*} to be listed" has_attribute "${attribute%%:*}"
done
echo "search attributes ready in namespace $namespace"
