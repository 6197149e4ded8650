#!/bin/bash
# A mongos of docker-compose.yml's `sharded` profile (one per server), routing through the config
# servers CONFIG_DB. The first (FIRST=yes) creates the cluster's root user through the localhost
# exception, then adds the shards SHARDS (space-separated `set/host:port,…`); both are idempotent.
set -euo pipefail
printf '%s' "$MONGO_REPLICA_SET_KEY" > /tmp/replica.key
chmod 400 /tmp/replica.key
chown mongodb /tmp/replica.key
if [ "${FIRST:-}" = yes ]; then
  (
    until mongosh --quiet --eval 'db.adminCommand("ping").ok' > /dev/null 2>&1; do sleep 1; done
    as_root=(mongosh --quiet -u root -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
    if ! "${as_root[@]}" --eval 1 > /dev/null 2>&1; then
      mongosh --quiet admin --eval \
        "db.createUser({ user: 'root', pwd: process.env.MONGO_ROOT_PASSWORD, roles: ['root'] })"
    fi
    for shard in $SHARDS; do "${as_root[@]}" --eval "sh.addShard('$shard')"; done
  ) &
fi
exec docker-entrypoint.sh mongos --configdb "$CONFIG_DB" --port 27017 --bind_ip_all --keyFile /tmp/replica.key
