import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { stderrLog, type Log } from './log.ts';
import { poll } from './process.ts';
import { startRabbitNode, type RunningRabbitNode } from './rabbitmq.ts';

export interface RabbitClusterOptions {
  /** Each node keeps its data, logs, config and cookie in `<dir>/node<N>`. */
  dir: string;
  /** Number of nodes; default 3. */
  size?: number;
  /** Node names are `<namePrefix>_<N>@localhost`; unique per process by default. */
  namePrefix?: string;
  log?: Log;
  startTimeoutMs?: number;
}

export interface RunningRabbitCluster {
  /** In start order; node 1 is the one the others joined. */
  nodes: RunningRabbitNode[];
  /** Every node's AMQP URL (no vhost), comma-separated: the form `AMQP_URL` accepts for failover. */
  amqpUrl: string;
  /** Erlang node names of the members running now, as the first reachable node sees them. */
  runningNodes(): Promise<string[]>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/**
 * A RabbitMQ cluster on this machine: private nodes (own names, ports, data; one shared Erlang
 * cookie) started like the single test node; nodes 2..N join node 1 as they boot.
 */
export async function startRabbitCluster(options: RabbitClusterOptions): Promise<RunningRabbitCluster> {
  const { dir, size = 3, log = stderrLog, startTimeoutMs } = options;
  const prefix = options.namePrefix ?? `micropost_cluster_${process.pid}_${randomBytes(2).toString('hex')}`;
  const cookie = randomBytes(20).toString('hex').toUpperCase();
  const nodes: RunningRabbitNode[] = [];
  const stop = async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  const nodeName = (n: number) => `${prefix}_${n}`;
  const start = (n: number, clusterWith?: string) =>
    startRabbitNode({
      dir: join(dir, `node${n}`),
      nodeName: nodeName(n),
      cookie,
      log,
      ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
      ...(clusterWith === undefined ? {} : { clusterWith }),
    }).then((node) => {
      nodes.push(node);
      return node;
    });

  try {
    const started = Date.now();
    // Every node boots side by side; nodes 2..N find node 1 and join it during their boot.
    const [first, ...others] = await Promise.all(
      Array.from({ length: size }, (_, i) => start(i + 1, i === 0 ? undefined : `${nodeName(1)}@localhost`)),
    );
    const ordered = [first!, ...others];
    nodes.splice(0, nodes.length, ...ordered);
    const cluster: RunningRabbitCluster = {
      nodes: ordered,
      amqpUrl: ordered.map((node) => node.amqpUrl).join(','),
      runningNodes: () => runningNodes(ordered),
      stop,
    };
    await poll(async () => (await cluster.runningNodes()).length === size, {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: () => `the RabbitMQ cluster did not report ${size} running nodes`,
    });
    log(`RabbitMQ cluster of ${size} nodes (${prefix}_1..${size}) up in ${Date.now() - started} ms.`);
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `running_nodes` of `rabbitmqctl cluster_status`, asked of the first node that answers. */
async function runningNodes(nodes: readonly RunningRabbitNode[]): Promise<string[]> {
  let lastError: unknown;
  for (const node of nodes) {
    try {
      const output = await node.rabbitmqctl('cluster_status', '--formatter', 'json');
      const status = JSON.parse(output.slice(output.indexOf('{'))) as { running_nodes?: string[] };
      return status.running_nodes ?? [];
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
