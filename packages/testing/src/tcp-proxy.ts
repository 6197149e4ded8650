import { createServer, connect, type Socket } from 'node:net';

/** A TCP forwarder on 127.0.0.1 that a test can cut, to simulate a broker or database becoming unreachable. */
export interface TcpProxy {
  readonly host: string;
  /** The proxy's own port (picked by the OS). */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's; scheme, credentials, path and query are kept. */
  rewriteUrl(url: string): string;
  /** Destroys every open connection (both sides) and refuses new ones until `resume()`. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Open client connections. */
  readonly connectionCount: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let paused = false;

  const server = createServer((client) => {
    if (paused) {
      // A reset, like a port nobody listens on, rather than a hang.
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: targetHost, port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Errors are the expected outcome of cutting a connection; either side failing ends both.
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no TCP address');
  const { port } = address;

  const cutAll = () => {
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    host: '127.0.0.1',
    port,
    rewriteUrl(url: string): string {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    pause() {
      paused = true;
      cutAll();
    },
    resume() {
      paused = false;
    },
    get paused() {
      return paused;
    },
    get connectionCount() {
      return pairs.size;
    },
    close() {
      paused = true;
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
