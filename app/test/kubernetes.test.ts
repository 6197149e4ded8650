import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '@micropost/infra';

// deploy/k8s cannot be applied without a cluster, so check what it promises instead (as
// docker-compose.test.ts does for docker-compose.yml).
const dir = `${repoRoot}/deploy/k8s`;
const read = (file: string) => parse(readFileSync(`${dir}/${file}`, 'utf8'));

type Labels = Record<string, string>;
interface Probe {
  httpGet: { path: string; port: string | number };
  [key: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: unknown[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: Record<string, unknown>;
}

const deployment = read('deployment.yaml') as {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Labels };
  spec: {
    replicas?: number;
    selector: { matchLabels: Labels };
    template: {
      metadata: { labels: Labels };
      spec: { containers: Container[]; securityContext: Record<string, unknown> };
    };
  };
};
const service = read('service.yaml') as {
  apiVersion: string;
  kind: string;
  spec: { selector: Labels; ports: { port: number; targetPort: string | number }[] };
};
const hpa = read('hpa.yaml') as {
  apiVersion: string;
  kind: string;
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
  };
};
const pdb = read('pdb.yaml') as {
  apiVersion: string;
  kind: string;
  spec: { selector: { matchLabels: Labels }; minAvailable?: number; maxUnavailable?: number };
};
const secret = read('secret.example.yaml') as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  stringData: Record<string, string>;
};
const kustomization = read('kustomization.yaml') as { resources: string[] };

const pod = deployment.spec.template;
const [server] = pod.spec.containers;
const dockerfile = readFileSync(`${repoRoot}/Dockerfile`, 'utf8');
const exposed = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]);
/** Every label of `selector` is on the server pods. */
const selectsServers = (selector: Labels) => {
  expect(Object.keys(selector).length).toBeGreaterThan(0);
  expect(pod.metadata.labels).toMatchObject(selector);
};
const envValue = (name: string) => server!.env.find((entry) => entry.name === name);

describe('deploy/k8s', () => {
  it('holds a Deployment, a Service, an autoscaler, a disruption budget and a Secret example, applied together but for the example', () => {
    expect([deployment, service, hpa, pdb, secret].map(({ apiVersion, kind }) => `${apiVersion} ${kind}`)).toEqual([
      'apps/v1 Deployment',
      'v1 Service',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'policy/v1 PodDisruptionBudget',
      'v1 Secret',
    ]);
    const manifests = readdirSync(dir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect(kustomization.resources.sort()).toEqual(manifests.filter((file) => file !== 'secret.example.yaml').sort());
  });

  it('runs one container of the Dockerfile’s image as it is built: its port, its command', () => {
    expect(pod.spec.containers).toHaveLength(1);
    expect(server!.image).toMatch(/^micropost-server:[\w.-]+$/);
    expect(exposed).toBe(4000);
    expect(server!.ports).toEqual([{ name: 'http', containerPort: exposed }]);
    // The Dockerfile's CMD starts the server; the manifest does not replace it.
    expect(server!.command).toBeUndefined();
    expect(server!.args).toBeUndefined();
    expect(envValue('PORT')).toEqual({ name: 'PORT', value: String(exposed) });
    expect(envValue('HOST')).toEqual({ name: 'HOST', value: '0.0.0.0' });
    expect(envValue('NODE_ENV')).toEqual({ name: 'NODE_ENV', value: 'production' });
  });

  it('takes traffic when /ready answers, is restarted when /health does not', () => {
    expect(server!.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(server!.livenessProbe!.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(server!.startupProbe!.httpGet).toEqual({ path: '/health', port: 'http' });
    // A misspelt field is ignored by the cluster without a word: only these may appear.
    const probeFields = ['httpGet', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'];
    for (const probe of [server!.readinessProbe, server!.livenessProbe, server!.startupProbe])
      for (const field of Object.keys(probe!)) expect(probeFields).toContain(field);
  });

  it('reads every credential and connection URL from the Secret by reference, and holds no value itself', () => {
    const fromSecret = server!.env.filter((entry) => entry.valueFrom?.secretKeyRef);
    expect(fromSecret.map((entry) => entry.name).sort()).toEqual(
      ['AMQP_URL', 'INTERNAL_PRIVATE_KEY', 'INTERNAL_PUBLIC_KEY', 'JWT_SECRET', 'MONGO_URL'].sort(),
    );
    for (const entry of fromSecret)
      expect(entry.valueFrom!.secretKeyRef).toEqual({ name: secret.metadata.name, key: entry.name });
    expect(server!.envFrom).toBeUndefined();
    // The example names every key the Deployment reads, and its values are placeholders.
    expect(Object.keys(secret.stringData).sort()).toEqual(fromSecret.map((entry) => entry.name).sort());
    for (const value of Object.values(secret.stringData)) expect(value).toContain('REPLACE_ME');
  });

  it('runs as a non-root user that cannot gain privileges, on a read-only file system', () => {
    // The official node image's unprivileged `node` user (uid 1000); numeric, so the kubelet can check it.
    expect(dockerfile).toMatch(/^FROM node:20-[\w-]+$/m);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    // docker-compose runs the image as built: it drops root itself.
    expect(
      dockerfile
        .trimEnd()
        .split('\n')
        .filter((line) => line.startsWith('USER '))
        .at(-1),
    ).toBe('USER node');
    expect(server!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('requests the CPU the autoscaler measures and bounds memory', () => {
    expect(server!.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(server!.resources.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('selects the server pods from the Deployment, the Service and the disruption budget alike', () => {
    selectsServers(deployment.spec.selector.matchLabels);
    selectsServers(service.spec.selector);
    selectsServers(pdb.spec.selector.matchLabels);
    expect(service.spec.ports.map((port) => port.targetPort)).toEqual(['http']);
    // Voluntary disruptions take at most one server at a time.
    expect(pdb.spec.maxUnavailable ?? 0).toBeLessThanOrEqual(1);
  });

  it('scales the Deployment on CPU, from at least two servers, and leaves the count to the autoscaler', () => {
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    expect(deployment.spec.replicas).toBeUndefined();
  });
});
