/**
 * deploy/load-agents-job.yaml and deploy/load-merge-job.yaml, checked without a cluster: every
 * document against the Kubernetes API's own schema (the batch/v1 Job, v1 ConfigMap and
 * PersistentVolumeClaim validators that the npm package kubernetes-models generates from the
 * Kubernetes OpenAPI specification), and against what the harness needs: an Indexed Job whose
 * completions, parallelism and --agent-count agree, a load those agents can split, an agent
 * index from JOB_COMPLETION_INDEX, the profile from the ConfigMap (valid for the harness's own
 * schema, with a trunk per agent), results on the shared volume, and a merge of that volume.
 *
 * kubernetes-models is a devDependency; when it is missing this test fails (it never skips):
 * `npm install --save-dev kubernetes-models@4.5.1`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseProfile } from '../../harness/config/profile.ts';
import { agentShare, agentShareProblems } from '../../harness/runner/load-agents.ts';

/** A model class of kubernetes-models: `validate()` throws when the object breaks the schema. */
type ModelClass = new (data: unknown) => { validate(): void };
const MODELS = 'kubernetes-models';
let models: Record<string, ModelClass> | undefined;

/** The schema validators; a test that needs them fails, naming the package, when it is missing. */
async function kubernetesModels(): Promise<Record<string, ModelClass>> {
  const load = async (path: string, name: string): Promise<ModelClass> => {
    try {
      const m = (await import(`${MODELS}/${path}`)) as Record<string, ModelClass>;
      return m[name] as ModelClass;
    } catch (err) {
      throw new Error(
        `the Kubernetes schema package is missing: npm install --save-dev kubernetes-models@4.5.1 (${(err as Error).message})`,
      );
    }
  };
  models ??= {
    'batch/v1/Job': await load('batch/v1/Job', 'Job'),
    'v1/ConfigMap': await load('v1/ConfigMap', 'ConfigMap'),
    'v1/PersistentVolumeClaim': await load('v1/PersistentVolumeClaim', 'PersistentVolumeClaim'),
  };
  return models;
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: a manifest read as plain data
  spec?: any;
  data?: Record<string, string>;
}

function docs(file: string): K8sObject[] {
  const all = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of all) expect(d.errors, file).toEqual([]);
  return all.map((d) => d.toJS() as K8sObject);
}

function validate(o: K8sObject): void {
  const M = models?.[`${o.apiVersion}/${o.kind}`];
  if (!M) throw new Error(`no schema here for ${o.apiVersion} ${o.kind}`);
  new M(o).validate();
}

const agentsFile = 'deploy/load-agents-job.yaml';
const mergeFile = 'deploy/load-merge-job.yaml';

describe('the Kubernetes manifests of load agents', () => {
  it('every document is valid for the Kubernetes API schema', async () => {
    await kubernetesModels();
    const all = [...docs(agentsFile), ...docs(mergeFile)];
    expect(all.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual([
      'v1 ConfigMap',
      'v1 PersistentVolumeClaim',
      'batch/v1 Job',
      'batch/v1 Job',
    ]);
    for (const d of all) expect(() => validate(d), `${d.kind} ${d.metadata.name}`).not.toThrow();
  });

  it('the schema check bites: a broken copy of the Job is refused', async () => {
    await kubernetesModels();
    const job = docs(agentsFile)[2] as K8sObject;
    const broken = (f: (j: K8sObject) => void) => {
      const j = structuredClone(job);
      f(j);
      return () => validate(j);
    };
    expect(
      broken((j) => {
        j.spec.completions = 'four';
      }),
    ).toThrow(/completions must be integer/);
    expect(
      broken((j) => {
        delete j.spec.template.spec.containers[0].name;
      }),
    ).toThrow(/must have required property 'name'|required property name/);
    expect(
      broken((j) => {
        j.spec.template.spec.containers[0].env[0].valueFrom = 'x';
      }),
    ).toThrow(/valueFrom must be object/);
  });

  it('is an Indexed Job of agents that agree with each other and with the harness', () => {
    const [configMap, pvc, job] = docs(agentsFile) as [K8sObject, K8sObject, K8sObject];
    const spec = job.spec;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.parallelism).toBe(spec.completions);
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0];
    const args: string[] = c.args;
    const arg = (flag: string) => args[args.indexOf(flag) + 1] as string;
    expect(args[0]).toBe('load');
    // Every agent knows the count; its index is the Job's.
    expect(Number(arg('--agent-count'))).toBe(spec.completions);
    expect(arg('--agent-index')).toBe('$(JOB_COMPLETION_INDEX)');
    expect(arg('--out')).toMatch(/^\/results\/.*agent-\$\(JOB_COMPLETION_INDEX\)$/);
    // The load splits between the agents without leaving one idle.
    const whole = { calls: Number(arg('--calls')), steps: arg('--ramp').split(',').map(Number) };
    for (let i = 0; i < spec.completions; i++) {
      expect(agentShareProblems(whole, i, spec.completions)).toEqual([]);
      expect(agentShare(whole, i, spec.completions).calls).toBeGreaterThan(0);
    }
    // Every variable the args and the profile use is set in the pod (JOB_COMPLETION_INDEX by the Job).
    const env = new Set<string>(['JOB_COMPLETION_INDEX', ...c.env.map((e: { name: string }) => e.name)]);
    for (const m of args.join(' ').matchAll(/\$\((\w+)\)/g)) expect(env.has(m[1] as string), m[1]).toBe(true);
    const profileText = configMap.data?.['profile.yaml'] as string;
    for (const m of profileText.matchAll(/\$\{(\w+)\}/g)) expect(env.has(m[1] as string), m[1]).toBe(true);
    // The profile comes from the ConfigMap, the results go to the claim.
    const vols = new Map<
      string,
      { configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }
    >(pod.volumes.map((v: { name: string }) => [v.name, v]));
    const mountOf = (path: string) =>
      vols.get(c.volumeMounts.find((m: { mountPath: string }) => path.startsWith(m.mountPath))?.name);
    expect(mountOf(arg('--profile'))?.configMap?.name).toBe(configMap.metadata.name);
    expect(mountOf(arg('--out'))?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
    for (const e of c.env)
      if (e.valueFrom?.configMapKeyRef) {
        expect(e.valueFrom.configMapKeyRef.name).toBe(configMap.metadata.name);
        expect(configMap.data?.[e.valueFrom.configMapKeyRef.key]).toBeDefined();
      }
  });

  it("the ConfigMap's profile is valid for the harness, with a trunk and DIDs of its own per agent", () => {
    const configMap = docs(agentsFile)[0] as K8sObject;
    const text = configMap.data?.['profile.yaml'] as string;
    const env = (i: number) => ({
      JOB_COMPLETION_INDEX: String(i),
      POD_IP: '127.0.0.1',
      SBC_LAN_ADDRESS: configMap.data?.sbcLanAddress,
      SBC_WAN_ADDRESS: configMap.data?.sbcWanAddress,
      LINE_USER: '+4930123456',
      LINE_PASSWORD: 'x',
      TRUNK_PASSWORD: 'y',
    });
    const p0 = parseProfile(text, 'profile.yaml', env(0));
    const p1 = parseProfile(text, 'profile.yaml', env(1));
    expect(p0.sbc.kind).toBe('external');
    expect(p0.oxo.trunk.user).not.toBe(p1.oxo.trunk.user);
    expect(p0.oxo.extensions.deskphone1?.did).not.toBe(p1.oxo.extensions.deskphone1?.did);
    expect(p0.oxo.extensions.deskphone2?.did).not.toBe(p1.oxo.extensions.deskphone2?.did);
    expect(p0.provider.address).toBe('127.0.0.1');
  });

  it('the merge Job reads the agents of the same run from the same claim', () => {
    const job = docs(agentsFile)[2] as K8sObject;
    const merge = docs(mergeFile)[0] as K8sObject;
    const run = (j: K8sObject) =>
      j.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'LOAD_RUN')?.value;
    expect(run(merge)).toBe(run(job));
    const script = merge.spec.template.spec.containers[0].args.join(' ');
    expect(script).toMatch(/sbc-harness\.js merge \/results\/"\$LOAD_RUN"\/agent-\* --out/);
    expect(merge.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(
      job.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'results').persistentVolumeClaim
        .claimName,
    );
  });
});
