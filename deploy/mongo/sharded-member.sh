#!/bin/bash
# One member of a replica set in docker-compose.yml's `sharded` profile: a config server
# (ROLE=configsvr) or a shard (ROLE=shardsvr) of the set REPLICA_SET, whose members are MEMBERS
# (host:port,…). The first member (INITIATE=yes) initiates the set and creates its local root user
# through MongoDB's localhost exception, once: when root can log in, there is nothing left to do.
set -euo pipefail
printf '%s' "$MONGO_REPLICA_SET_KEY" > /tmp/replica.key
chmod 400 /tmp/replica.key
chown mongodb /tmp/replica.key
if [ "${INITIATE:-}" = yes ]; then
  (
    until mongosh --quiet --eval 'db.adminCommand("ping").ok' > /dev/null 2>&1; do sleep 1; done
    if ! mongosh --quiet -u root -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin --eval 1 > /dev/null 2>&1; then
      mongosh --quiet --eval "
        const members = process.env.MEMBERS.split(',').map((host, _id) => ({ _id, host }));
        try { rs.status() } catch (e) {
          rs.initiate({ _id: process.env.REPLICA_SET, configsvr: process.env.ROLE === 'configsvr', members });
        }
        while (!db.hello().isWritablePrimary) sleep(500);
        db.getSiblingDB('admin').createUser({ user: 'root', pwd: process.env.MONGO_ROOT_PASSWORD, roles: ['root'] });
      "
    fi
  ) &
fi
exec docker-entrypoint.sh mongod "--$ROLE" --replSet "$REPLICA_SET" --port 27017 --bind_ip_all --keyFile /tmp/replica.key
