#!/bin/bash
# One member of a replica set in docker-compose.yml's `sharded` profile: a config server
# (ROLE=configsvr) or a shard (ROLE=shardsvr) of the set REPLICA_SET, whose members are MEMBERS
# (host:port,…). The first member (INITIATE=yes) initiates the set and creates its root user
# through MongoDB's localhost exception, retrying while the other members start; once root can log
# in there is nothing left to do (a restart skips it). On the config servers that root user is the
# cluster's, the one mongos and the servers log in as.
set -euo pipefail
printf '%s' "$MONGO_REPLICA_SET_KEY" > /tmp/replica.key
chmod 400 /tmp/replica.key
chown mongodb /tmp/replica.key
if [ "${INITIATE:-}" = yes ]; then
  (
    as_root=(mongosh --quiet -u root -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
    until "${as_root[@]}" --eval 1 > /dev/null 2>&1; do
      mongosh --quiet --eval "
        const members = process.env.MEMBERS.split(',').map((host, _id) => ({ _id, host }));
        try { rs.status() } catch (e) {
          rs.initiate({ _id: process.env.REPLICA_SET, configsvr: process.env.ROLE === 'configsvr', members });
        }
        while (!db.hello().isWritablePrimary) sleep(500);
        db.getSiblingDB('admin').createUser({ user: 'root', pwd: process.env.MONGO_ROOT_PASSWORD, roles: ['root'] });
      " > /dev/null 2>&1 || sleep 2
    done
  ) &
fi
exec docker-entrypoint.sh mongod "--$ROLE" --replSet "$REPLICA_SET" --port 27017 --bind_ip_all --keyFile /tmp/replica.key
