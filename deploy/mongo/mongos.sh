#!/bin/bash
# A mongos of docker-compose.yml's `sharded` profile (one per server), routing through the config
# servers CONFIG_DB. The first (FIRST=yes) adds the shards SHARDS (space-separated
# `set/host:port,…`), retrying until each set is initiated; adding a shard twice is a no-op. The
# root user is the config servers' (sharded-member.sh creates it there).
set -euo pipefail
printf '%s' "$MONGO_REPLICA_SET_KEY" > /tmp/replica.key
chmod 400 /tmp/replica.key
chown mongodb /tmp/replica.key
if [ "${FIRST:-}" = yes ]; then
  (
    as_root=(mongosh --quiet -u root -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
    for shard in $SHARDS; do
      until "${as_root[@]}" --eval "sh.addShard('$shard')" > /dev/null 2>&1; do sleep 2; done
    done
  ) &
fi
exec docker-entrypoint.sh mongos --configdb "$CONFIG_DB" --port 27017 --bind_ip_all --keyFile /tmp/replica.key
