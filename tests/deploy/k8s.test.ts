// Kubernetes manifests (deploy/k8s): every document validates against the Kubernetes schemas
// (kubernetes-models), and the pieces fit together: probes, resources, Service -> pods,
// Ingress -> Service, PDB/HPA -> API Deployment, ConfigMap/Secret references, the commands the
// image really contains, and only the variables src/config.ts reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.ts';

const root = path.resolve(import.meta.dirname, '../..');
const k8sDir = path.join(root, 'deploy/k8s');

/** Files kept out of kustomization.yaml on purpose (see its header). */
const SECRET_EXAMPLE = 'secret.example.yaml';
const MIGRATE_JOB = 'migrate-job.yaml';
/** Upper bound of the app's graceful-shutdown deadline the pods' grace periods are sized for (deploy/k8s/README.md). */
const SHUTDOWN_DEADLINE_SECONDS = 30;

// apiVersion/kind -> the kubernetes-models class validating it; anything else fails the test.
type Validatable = { validate(): void };
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
};
const KUSTOMIZATION = 'kustomize.config.k8s.io/v1beta1/Kustomization';

interface Manifest {
  file: string;
  index: number;
  data: Record<string, unknown>;
  typeKey: string;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(k8sDir, path.join(entry.parentPath, entry.name)))
    .sort();
}

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of yamlFiles(k8sDir)) {
    const documents = parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8'));
    if (!Array.isArray(documents)) throw new Error(`${file}: not a YAML stream`);
    documents.forEach((document, index) => {
      if (document.errors.length > 0) throw new Error(`${file}#${index}: ${document.errors[0]!.message}`);
      const data: unknown = document.toJS();
      if (data === null || data === undefined) return; // an empty document (a trailing ---)
      if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`${file}#${index}: not a mapping`);
      const { apiVersion, kind } = data as { apiVersion?: unknown; kind?: unknown };
      manifests.push({ file, index, data: data as Record<string, unknown>, typeKey: `${String(apiVersion)}/${String(kind)}` });
    });
  }
  return manifests;
}

const manifests = loadManifests();
const resources = manifests.filter((manifest) => manifest.typeKey !== KUSTOMIZATION);

function model<T>(manifest: Manifest): T {
  const Model = MODELS[manifest.typeKey];
  if (!Model) throw new Error(`${manifest.file}#${manifest.index}: unknown apiVersion/kind ${manifest.typeKey}`);
  return new Model(manifest.data as never) as T;
}

function all<T>(typeKey: string): Array<{ file: string; object: T }> {
  return resources.filter((manifest) => manifest.typeKey === typeKey).map((manifest) => ({ file: manifest.file, object: model<T>(manifest) }));
}

function nameOf(object: { metadata?: { name?: string } }): string {
  return object.metadata?.name ?? '';
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

const deployments = all<Deployment>('apps/v1/Deployment');
const jobs = all<Job>('batch/v1/Job');
const configMaps = all<ConfigMap>('v1/ConfigMap');
const secrets = all<Secret>('v1/Secret');
const services = all<Service>('v1/Service');
const ingresses = all<Ingress>('networking.k8s.io/v1/Ingress');
const pdbs = all<PodDisruptionBudget>('policy/v1/PodDisruptionBudget');
const hpas = all<HorizontalPodAutoscaler>('autoscaling/v2/HorizontalPodAutoscaler');

/** The Deployment whose containers run the HTTP server. */
function commandOf(container: IContainer): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])];
}
const api = only(
  deployments.filter(({ object }) => object.spec?.template.spec?.containers.some((c) => commandOf(c).includes('dist/src/server.js'))),
  'API Deployment (node dist/src/server.js)',
).object;
const worker = only(
  deployments.filter(({ object }) => object.spec?.template.spec?.containers.some((c) => commandOf(c).includes('dist/src/worker.js'))),
  'worker Deployment (node dist/src/worker.js)',
).object;
const apiTemplate = api.spec!.template;
const apiContainer = only(apiTemplate.spec!.containers, 'API container');

/** Every pod template in the manifests, with where it comes from. */
const podTemplates: Array<{ owner: string; template: IPodTemplateSpec }> = [
  ...deployments.map(({ object }) => ({ owner: `Deployment ${nameOf(object)}`, template: object.spec!.template })),
  ...jobs.map(({ object }) => ({ owner: `Job ${nameOf(object)}`, template: object.spec!.template })),
];
const containers = podTemplates.flatMap(({ owner, template }) =>
  [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])].map((container) => ({ owner, template, container })),
);

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_SUFFIXES: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
/** A memory quantity ("256Mi", "1G", "536870912") in bytes. */
function bytes(quantity: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]i|[kMGT]?)$/.exec(String(quantity ?? ''));
  if (!match) throw new Error(`not a memory quantity: ${String(quantity)}`);
  const unit = match[2]!;
  return Number(match[1]) * (BINARY_SUFFIXES[unit] ?? DECIMAL_SUFFIXES[unit]!);
}

/** The variable names src/config.ts reads: the keys of its environment fields (environmentFields). */
function configVariables(): Set<string> {
  const source = readFileSync(path.join(root, 'src/config.ts'), 'utf8');
  const block = /const environmentFields = z\s*\.object\(\{([\s\S]*?)\n\s*\}\)/.exec(source)?.[1];
  if (!block) throw new Error('src/config.ts: environmentFields = z.object({...}) not found');
  return new Set([...block.matchAll(/^ {4}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]!));
}

describe('deploy/k8s manifests', () => {
  it('parse, and use only kinds the test knows', () => {
    expect(manifests.length).toBeGreaterThan(0);
    const unknown = resources.filter((manifest) => !MODELS[manifest.typeKey]).map((m) => `${m.file}#${m.index}: ${m.typeKey}`);
    expect(unknown).toEqual([]);
  });

  it.each(resources.map((manifest) => [`${manifest.file}#${manifest.index} ${manifest.typeKey}`, manifest] as const))(
    '%s validates against the Kubernetes schema',
    (_label, manifest) => {
      expect(() => model<Validatable>(manifest).validate()).not.toThrow();
    },
  );

  it('are namespace-agnostic and named', () => {
    for (const manifest of resources) {
      const metadata = (manifest.data.metadata ?? {}) as { name?: string; namespace?: string };
      expect(metadata.name, `${manifest.file}#${manifest.index}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(metadata.namespace, `${manifest.file}#${manifest.index}`).toBeUndefined();
    }
  });

  it('kustomization.yaml lists every manifest except the Secret example and the migration Job', () => {
    const kustomization = only(manifests.filter((manifest) => manifest.typeKey === KUSTOMIZATION), 'Kustomization');
    expect(kustomization.file).toBe('kustomization.yaml');
    const listed = (kustomization.data.resources ?? []) as string[];
    for (const file of listed) expect(existsSync(path.join(k8sDir, file)), `${file} exists`).toBe(true);
    expect(listed).not.toContain(SECRET_EXAMPLE);
    expect(listed).not.toContain(MIGRATE_JOB);
    const expected = [...new Set(resources.map((manifest) => manifest.file))].filter((file) => file !== SECRET_EXAMPLE && file !== MIGRATE_JOB);
    expect([...listed].sort()).toEqual(expected.sort());
    // No Secret reaches the cluster from this repository.
    expect(resources.filter((m) => m.typeKey === 'v1/Secret' && listed.includes(m.file))).toEqual([]);
  });
});

describe('containers', () => {
  it('run commands the image contains (node dist/... built from a source file tsconfig.build.json compiles)', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions?: { rootDir?: string };
      include?: string[];
    };
    // tsc keeps paths relative to rootDir "." under outDir dist/, and the image copies /app/dist.
    expect(build.compilerOptions?.rootDir).toBe('.');
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    for (const { owner, container } of containers) {
      const [binary, ...args] = commandOf(container);
      const script = args.find((arg) => !arg.startsWith('--'));
      expect(binary, owner).toBe('node');
      expect(script, owner).toMatch(/^dist\/.+\.js$/);
      const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(path.join(root, source)), `${owner}: ${source} exists`).toBe(true);
      expect(build.include?.some((entry) => source === entry || source.startsWith(`${entry}/`)), `${owner}: ${source} is built`).toBe(true);
    }
    expect(commandOf(apiContainer)).toEqual(['node', '--max-semi-space-size=16', 'dist/src/server.js']);
    expect(commandOf(only(worker.spec!.template.spec!.containers, 'worker container'))).toEqual(['node', 'dist/src/worker.js']);
    const migrate = only(jobs, 'migration Job').object;
    expect(commandOf(only(migrate.spec!.template.spec!.containers, 'migrate container'))).toEqual(['node', 'dist/scripts/migrate.js', 'deploy']);
  });

  it('all use the one clinic-api image', () => {
    const images = new Set(containers.map(({ container }) => container.image));
    expect([...images]).toEqual(['clinic-api']);
  });

  it('have resources sized for a Node process', () => {
    for (const { owner, container } of containers) {
      const { requests, limits } = container.resources ?? {};
      expect(requests?.cpu, owner).toBeDefined();
      expect(limits?.memory, owner).toBeDefined();
      const request = bytes(requests?.memory);
      const limit = bytes(limits?.memory);
      expect(request, owner).toBeGreaterThanOrEqual(bytes('256Mi'));
      expect(limit, owner).toBeGreaterThanOrEqual(request);
      expect(limit, owner).toBeLessThanOrEqual(bytes('1Gi'));
    }
  });

  it('run as non-root on a read-only root filesystem, with /tmp on an emptyDir', () => {
    for (const { owner, template, container } of containers) {
      const pod = template.spec?.securityContext ?? {};
      const own = container.securityContext ?? {};
      expect(own.runAsNonRoot ?? pod.runAsNonRoot, owner).toBe(true);
      // The image's USER is a name (node); runAsNonRoot can only be checked with a numeric id.
      expect(own.runAsUser ?? pod.runAsUser, owner).toBeGreaterThan(0);
      expect(own.readOnlyRootFilesystem, owner).toBe(true);
      expect(own.allowPrivilegeEscalation, owner).toBe(false);
      expect(own.capabilities?.drop, owner).toContain('ALL');
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      expect(tmp, `${owner}: /tmp mount`).toBeDefined();
      const volume = template.spec?.volumes?.find((v) => v.name === tmp?.name);
      expect(volume?.emptyDir, `${owner}: /tmp is an emptyDir`).toBeDefined();
    }
  });

  it('reference only ConfigMaps and Secrets that exist (the Secret in secret.example.yaml)', () => {
    const configMapKeys = new Map(configMaps.map(({ object }) => [nameOf(object), Object.keys(object.data ?? {})]));
    const secretKeys = new Map(
      secrets.map(({ object }) => [nameOf(object), Object.keys({ ...(object.data ?? {}), ...(object.stringData ?? {}) })]),
    );
    expect(secrets.map(({ file }) => file)).toEqual([SECRET_EXAMPLE]);
    let references = 0;
    for (const { owner, container } of containers) {
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef) expect(configMapKeys.has(source.configMapRef.name!), `${owner}: ConfigMap ${source.configMapRef.name}`).toBe(true);
        if (source.secretRef) expect(secretKeys.has(source.secretRef.name!), `${owner}: Secret ${source.secretRef.name}`).toBe(true);
        references++;
      }
      for (const variable of container.env ?? []) {
        const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
        if (configMapKeyRef) expect(configMapKeys.get(configMapKeyRef.name!), `${owner}: ${variable.name}`).toContain(configMapKeyRef.key);
        if (secretKeyRef) expect(secretKeys.get(secretKeyRef.name!), `${owner}: ${variable.name}`).toContain(secretKeyRef.key);
        if (configMapKeyRef || secretKeyRef) references++;
      }
    }
    expect(references).toBeGreaterThan(0);
    // The API and the worker read both.
    for (const deployment of [api, worker]) {
      const sources = deployment.spec!.template.spec!.containers[0]!.envFrom ?? [];
      expect(sources.map((s) => s.configMapRef?.name ?? s.secretRef?.name)).toEqual(['clinic-api-config', 'clinic-api-secrets']);
    }
  });

  it('set only variables src/config.ts reads, and a configuration it accepts', () => {
    const known = configVariables();
    expect(known.has('DATABASE_URL') && known.has('SECRET_KEY') && known.size > 20).toBe(true);
    const configMap = only(configMaps, 'ConfigMap').object;
    const secret = only(secrets, 'Secret').object;
    const names = [
      ...Object.keys(configMap.data ?? {}),
      ...Object.keys(secret.stringData ?? {}),
      ...containers.flatMap(({ container }) => (container.env ?? []).map((variable) => variable.name)),
    ];
    expect(names.filter((name) => !known.has(name))).toEqual([]);

    // The API pod's environment, as src/config.ts would see it.
    const apiEnv: Record<string, string> = { ...configMap.data, ...secret.stringData };
    for (const variable of apiContainer.env ?? []) if (variable.value !== undefined) apiEnv[variable.name] = variable.value;
    expect(apiEnv).toMatchObject({ NODE_ENV: 'production', WORKER_ENABLED: 'false', MIGRATE_ON_START: 'false' });
    // The placeholder SECRET_KEY is refused, so the example cannot run as is; a real one passes.
    expect(() => loadConfig(apiEnv)).toThrow(/SECRET_KEY/);
    const config = loadConfig({ ...apiEnv, SECRET_KEY: 'k'.repeat(48) });
    expect(config).toMatchObject({ env: 'production', workerEnabled: false, port: 3000 });
    // /metrics on the internal port, not the public one (production refuses an open public one).
    expect(config.metricsPort).toBeDefined();
    expect(config.metricsPort).not.toBe(config.port);
    expect(config.trustProxy).not.toBe(false);
    expect(config.s3.bucket).toBeDefined(); // no shared disk between replicas: uploads go to S3
  });
});

describe('Secret example', () => {
  it('holds placeholders only, for every secret setting', () => {
    const secret = only(secrets, 'Secret').object;
    expect(nameOf(secret)).toBe('clinic-api-secrets');
    expect(secret.data).toBeUndefined(); // base64 would hide what the values are
    const values = secret.stringData ?? {};
    expect(Object.keys(values)).toEqual(
      expect.arrayContaining(['SECRET_KEY', 'DATABASE_URL', 'EMAIL_HOST_PASSWORD', 'REDIS_URL', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']),
    );
    for (const [key, value] of Object.entries(values)) expect(value, key).toMatch(/replace-me/);
  });

  it('keeps secret settings out of the ConfigMap', () => {
    const configMap = only(configMaps, 'ConfigMap').object;
    const secretKeys = Object.keys(only(secrets, 'Secret').object.stringData ?? {});
    for (const key of Object.keys(configMap.data ?? {})) {
      expect(secretKeys, key).not.toContain(key);
      expect(key).not.toMatch(/PASSWORD|SECRET|TOKEN|_KEY$|DATABASE_URL|REDIS_URL/);
    }
  });
});

describe('API Deployment', () => {
  function port(probe: IProbe | undefined): string | number | undefined {
    return probe?.httpGet?.port;
  }
  const containerPorts = (apiContainer.ports ?? []).flatMap((p) => [p.containerPort, p.name].filter((x) => x !== undefined));

  it('probes /health/ready (readiness) and /health/live (liveness, startup) on its own port', () => {
    expect(apiContainer.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(apiContainer.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(apiContainer.startupProbe?.httpGet?.path).toBe('/health/live');
    for (const probe of [apiContainer.readinessProbe, apiContainer.livenessProbe, apiContainer.startupProbe]) {
      expect(containerPorts).toContain(port(probe));
    }
    // Liveness tolerates more than a blip (overload is reported there too).
    const { periodSeconds = 10, failureThreshold = 3 } = apiContainer.livenessProbe ?? {};
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(30);
  });

  it('stops gracefully: preStop sleep, then a grace period above the shutdown deadline', () => {
    // Either the exec form (`sleep N`, in the image) or the native sleep action (Kubernetes 1.30+).
    const preStop = apiContainer.lifecycle?.preStop;
    const command = preStop?.exec?.command ?? [];
    const seconds = preStop?.sleep?.seconds ?? (command[0] === 'sleep' && command.length === 2 ? Number(command[1]) : Number.NaN);
    expect(seconds).toBeGreaterThanOrEqual(5);
    expect(apiTemplate.spec?.terminationGracePeriodSeconds).toBeGreaterThan(seconds + SHUTDOWN_DEADLINE_SECONDS);
  });

  it('serves /metrics on its `metrics` port (METRICS_PORT), announced for scraping and exposed by neither the Service nor the Ingress', () => {
    const metricsPort = Number(only(configMaps, 'ConfigMap').object.data?.METRICS_PORT);
    expect(apiContainer.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(metricsPort);
    expect(apiTemplate.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort), 'prometheus.io/path': '/metrics' });
    const service = only(services, 'Service').object;
    for (const servicePort of service.spec?.ports ?? []) {
      expect([servicePort.targetPort, servicePort.port]).not.toContain('metrics');
      expect([servicePort.targetPort, servicePort.port]).not.toContain(metricsPort);
    }
  });

  it('leaves the replica count to the HPA, and rolls out without losing capacity', () => {
    expect(api.spec?.replicas).toBeUndefined();
    expect(api.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it('has a selector that matches its own pods only', () => {
    expect(matches(api.spec?.selector.matchLabels, apiTemplate.metadata?.labels)).toBe(true);
    for (const { owner, template } of podTemplates.filter(({ template }) => template !== apiTemplate)) {
      expect(matches(api.spec?.selector.matchLabels, template.metadata?.labels), owner).toBe(false);
    }
  });
});

describe('every Deployment', () => {
  it.each(deployments.map(({ object }) => [nameOf(object), object] as const))('%s has readiness and liveness probes and resources', (_name, deployment) => {
    for (const container of deployment.spec!.template.spec!.containers) {
      expect(container.readinessProbe, container.name).toBeDefined();
      expect(container.livenessProbe, container.name).toBeDefined();
      expect(container.resources?.requests, container.name).toBeDefined();
      expect(container.resources?.limits, container.name).toBeDefined();
    }
    expect(deployment.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(SHUTDOWN_DEADLINE_SECONDS);
  });
});

describe('Service and Ingress', () => {
  const service = only(services, 'Service').object;

  it('the Service selects the API pods only, on the API container port', () => {
    expect(matches(service.spec?.selector, apiTemplate.metadata?.labels)).toBe(true);
    for (const { owner, template } of podTemplates.filter(({ template }) => template !== apiTemplate)) {
      expect(matches(service.spec?.selector, template.metadata?.labels), owner).toBe(false);
    }
    const containerPorts = (apiContainer.ports ?? []).flatMap((p) => [p.containerPort, p.name]);
    for (const servicePort of service.spec?.ports ?? []) expect(containerPorts).toContain(servicePort.targetPort ?? servicePort.port);
  });

  it('the Ingress routes to a port of that Service', () => {
    const ingress = only(ingresses, 'Ingress').object;
    const backends = (ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []).map((p) => p.backend.service);
    if (ingress.spec?.defaultBackend) backends.push(ingress.spec.defaultBackend.service);
    expect(backends.length).toBeGreaterThan(0);
    for (const backend of backends) {
      expect(backend?.name).toBe(nameOf(service));
      const servicePorts = service.spec?.ports ?? [];
      const target = backend?.port;
      expect(servicePorts.some((p) => (target?.name !== undefined ? p.name === target.name : p.port === target?.number))).toBe(true);
    }
  });
});

describe('PodDisruptionBudget and HorizontalPodAutoscaler', () => {
  it('the PDB covers the API pods only and allows a drain', () => {
    const pdb = only(pdbs, 'PodDisruptionBudget').object;
    expect(matches(pdb.spec?.selector?.matchLabels, apiTemplate.metadata?.labels)).toBe(true);
    expect(matches(pdb.spec?.selector?.matchLabels, worker.spec?.template.metadata?.labels)).toBe(false);
    expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable).toBeDefined();
  });

  it('the HPA scales the API Deployment on CPU, from at least 2 replicas', () => {
    const hpa = only(hpas, 'HorizontalPodAutoscaler').object;
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: nameOf(api) });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas!);
    expect(hpa.spec.metrics?.some((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu')).toBe(true);
    // Utilization is relative to the request, so the API must request CPU.
    expect(apiContainer.resources?.requests?.cpu).toBeDefined();
  });
});

describe('migration Job', () => {
  const { file, object: job } = only(jobs, 'migration Job');

  it('is marked to run before a rollout and does not retry forever', () => {
    expect(file).toBe(MIGRATE_JOB);
    expect(job.metadata?.annotations?.['clinic-api/run']).toBe('before-rollout');
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.backoffLimit).toBeLessThanOrEqual(3);
    expect(job.spec?.activeDeadlineSeconds).toBeDefined();
    // The order is documented next to it.
    expect(readFileSync(path.join(k8sDir, MIGRATE_JOB), 'utf8')).toContain('kubectl wait --for=condition=complete job/clinic-api-migrate');
  });
});
