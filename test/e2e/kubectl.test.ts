/**
 * End-to-end: the real kubectl 1.32 against the real `k8ts up`. Each test checks what a user would: the exit
 * code, what kubectl prints, and the objects read back with `-o json`. One cluster serves the whole first
 * suite (each test works in its own namespace); tokens are in kubectl-auth.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { ConfigMap, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { parse as parseYAML } from 'yaml';
import { KUBECTL, startCluster, type KubectlResult, type TestCluster } from '../helpers/cluster.js';
import { configMap, failed, lines, manifest, ok } from '../helpers/kubectl-e2e.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

/** Splits a stream of concatenated JSON objects (kubectl's `-w -o json`) into the complete ones. */
function jsonObjects(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}

function pod(name: string, labels: Record<string, string>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } };
}

/** What a user keeps in a file and applies: four kinds in one multi-document YAML. */
function webApp(image: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
      - name: sidecar
        image: busybox:1.36
---
apiVersion: v1
kind: Pod
metadata:
  name: web-pod
  labels:
    app: web
spec:
  containers:
  - name: web
    image: ${image}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`;
}

describe('kubectl against k8ts up', () => {
  let cluster: TestCluster;
  let files: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    [cluster, files] = await Promise.all([startCluster(), tempDir('k8ts-kubectl-')]);
  });
  after(async () => {
    await cluster?.stop();
    await files?.remove();
  });

  const k = (...args: string[]): Promise<KubectlResult> => cluster.kubectl(args);
  const run = async (...args: string[]): Promise<string> => ok(await cluster.kubectl(args));
  const create = async (ns: string, input: string): Promise<string> => ok(await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input }));
  const getJSON = async <T>(...args: string[]): Promise<T> => JSON.parse(await run('get', ...args, '-o', 'json')) as T;
  /** Each test works in its own namespace, so tests do not see each other's objects. */
  const namespace = (name: string): Promise<string> => create('default', manifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));

  test('get ns lists the system namespaces', async () => {
    const names = lines(await run('get', 'ns', '-o', 'name'));
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(`namespace/${ns}`), names.join(' '));
    const table = lines(await run('get', 'ns'));
    assert.match(table[0]!, /^NAME\s/);
    assert.ok(table.some((l) => l.startsWith('kube-system ')));
  });

  test('version shows a Server Version', async () => {
    assert.match(await run('version'), /^Server Version: v1\.32\.\d+\S*$/m);
  });

  test('api-versions lists the core and group versions', async () => {
    const versions = lines(await run('api-versions'));
    for (const v of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'autoscaling/v1']) assert.ok(versions.includes(v), `${v} missing: ${versions.join(' ')}`);
  });

  test('api-resources lists resources with their short names', async () => {
    const out = await run('api-resources');
    assert.match(out, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(out, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(out, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    assert.match(out, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
  });

  test('short names resolve to their resources', async () => {
    // The server's NotFound names the resource kubectl resolved the short name to.
    const resources: Record<string, string> = {
      po: 'pods',
      deploy: 'deployments.apps',
      cm: 'configmaps',
      ns: 'namespaces',
      svc: 'services',
      rs: 'replicasets.apps',
      sts: 'statefulsets.apps',
      ds: 'daemonsets.apps',
      cj: 'cronjobs.batch',
      no: 'nodes',
    };
    await Promise.all(
      Object.entries(resources).map(async ([short, resource]) => {
        const stderr = failed(await k('get', short, 'missing'));
        assert.match(stderr, new RegExp(`Error from server \\(NotFound\\): ${resource.replace('.', '\\.')} "missing" not found`), short);
      }),
    );
    assert.equal(await run('get', 'ns', 'default', '-o', 'name'), 'namespace/default\n');
  });

  test('create -f and apply -f of a multi-document YAML; applying it again changes nothing', async () => {
    await namespace('create');
    await namespace('apply');
    const created = ['configmap/web-config created', 'deployment.apps/web created', 'pod/web-pod created', 'service/web created'];
    assert.deepEqual(lines(ok(await cluster.kubectl(['-n', 'create', 'create', '-f', '-'], { input: webApp('nginx:1.27') }))), created);
    const file = join(files.path, 'web.yaml');
    await writeFile(file, webApp('nginx:1.27'));
    assert.deepEqual(lines(await run('-n', 'apply', 'apply', '-f', file)), created);

    const cm = await getJSON<ConfigMap>('-n', 'apply', 'configmap', 'web-config');
    assert.deepEqual(cm.data, { greeting: 'hello' });
    const deploy = await getJSON<Deployment>('-n', 'apply', 'deployment', 'web');
    assert.equal(deploy.spec?.replicas, 2);
    assert.deepEqual(deploy.spec?.template.spec?.containers.map((c) => c.image), ['nginx:1.27', 'busybox:1.36']);
    assert.equal(deploy.metadata?.generation, 1);
    assert.ok(deploy.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], 'apply records the last applied configuration');
    const p = await getJSON<Pod>('-n', 'apply', 'pod', 'web-pod');
    assert.equal(p.status?.phase, 'Pending');
    const svc = await getJSON<Service>('-n', 'apply', 'service', 'web');
    assert.equal(svc.spec?.ports?.[0]?.port, 80);

    assert.deepEqual(lines(await run('-n', 'apply', 'apply', '-f', file)), [
      'configmap/web-config unchanged',
      'deployment.apps/web unchanged',
      'pod/web-pod unchanged',
      'service/web unchanged',
    ]);
    const again = await getJSON<Deployment>('-n', 'apply', 'deployment', 'web');
    assert.equal(again.metadata?.resourceVersion, deploy.metadata?.resourceVersion, 'an unchanged apply writes nothing');
  });

  test('apply of a changed image says configured; generation bumps on spec changes only', async () => {
    await namespace('apply-change');
    const file = join(files.path, 'web-change.yaml');
    await writeFile(file, webApp('nginx:1.27'));
    await run('-n', 'apply-change', 'apply', '-f', file);
    await writeFile(file, webApp('nginx:1.28'));
    const out = lines(await run('-n', 'apply-change', 'apply', '-f', file));
    assert.ok(out.includes('deployment.apps/web configured'), out.join('\n'));
    assert.ok(out.includes('configmap/web-config unchanged'), out.join('\n'));
    assert.ok(out.includes('service/web unchanged'), out.join('\n'));

    const deploy = await getJSON<Deployment>('-n', 'apply-change', 'deploy', 'web');
    assert.deepEqual(deploy.spec?.template.spec?.containers.map((c) => c.image), ['nginx:1.28', 'busybox:1.36']);
    assert.equal(deploy.metadata?.generation, 2);

    assert.equal(await run('-n', 'apply-change', 'label', 'deploy', 'web', 'tier=front'), 'deployment.apps/web labeled\n');
    const labeled = await getJSON<Deployment>('-n', 'apply-change', 'deploy', 'web');
    assert.equal(labeled.metadata?.labels?.tier, 'front');
    assert.equal(labeled.metadata?.generation, 2, 'a label change does not bump generation');
    assert.notEqual(labeled.metadata?.resourceVersion, deploy.metadata?.resourceVersion);
  });

  test('get -o json, yaml, name, jsonpath and custom-columns', async () => {
    await namespace('output');
    await create('output', manifest(configMap('settings', { data: { greeting: 'hello', mode: 'fast' } }), configMap('other', { data: { greeting: 'hi' } })));

    const cm = await getJSON<ConfigMap>('-n', 'output', 'cm', 'settings');
    assert.equal(cm.kind, 'ConfigMap');
    assert.equal(cm.apiVersion, 'v1');
    assert.equal(cm.metadata?.name, 'settings');
    assert.equal(cm.metadata?.namespace, 'output');
    assert.match(cm.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(cm.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.deepEqual(cm.data, { greeting: 'hello', mode: 'fast' });

    const asYAML = parseYAML(await run('-n', 'output', 'get', 'cm', 'settings', '-o', 'yaml')) as ConfigMap;
    assert.deepEqual(asYAML, cm);

    const list = await getJSON<{ kind: string; items: ConfigMap[] }>('-n', 'output', 'cm');
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => i.metadata?.name).sort(), ['other', 'settings']);

    assert.deepEqual(lines(await run('-n', 'output', 'get', 'cm', '-o', 'name')).sort(), ['configmap/other', 'configmap/settings']);
    assert.equal(await run('-n', 'output', 'get', 'cm', 'settings', '-o', 'jsonpath={.data.greeting}'), 'hello');
    assert.equal(await run('-n', 'output', 'get', 'cm', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data.greeting};{end}'), 'other=hi;settings=hello;');
    const columns = lines(await run('-n', 'output', 'get', 'cm', '-o', 'custom-columns=NAME:.metadata.name,GREETING:.data.greeting,MODE:.data.mode'));
    assert.deepEqual(columns.map((l) => l.split(/\s+/)), [
      ['NAME', 'GREETING', 'MODE'],
      ['other', 'hi', '<none>'],
      ['settings', 'hello', 'fast'],
    ]);
  });

  test('get prints the columns kube-apiserver prints for pods, configmaps, secrets, deployments, namespaces, services', async () => {
    await namespace('printing');
    await create('printing', webApp('nginx:1.25'));
    await run('-n', 'printing', 'create', 'configmap', 'two', '--from-literal=a=1', '--from-literal=b=2');
    await run('-n', 'printing', 'create', 'secret', 'generic', 'one', '--from-literal=a=1');
    const header = async (...args: string[]): Promise<string[]> => lines(await run('-n', 'printing', 'get', ...args))[0]!.split(/\s{2,}/);
    assert.deepEqual(await header('pods'), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.deepEqual(await header('pods', '-o', 'wide'), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.deepEqual(await header('configmaps'), ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(await header('secrets'), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(await header('deployments', '-o', 'wide'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.deepEqual(await header('services'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const pod = lines(await run('-n', 'printing', 'get', 'pod', 'web-pod', '--no-headers'))[0]!.split(/\s+/);
    assert.deepEqual(pod.slice(0, 4), ['web-pod', '0/1', 'Pending', '0']);
    assert.match(pod[4]!, /^\d+s$/);
    const cm = lines(await run('-n', 'printing', 'get', 'configmap', 'two', '--no-headers'))[0]!.split(/\s+/);
    assert.deepEqual(cm.slice(0, 2), ['two', '2']);
    const deploy = lines(await run('-n', 'printing', 'get', 'deploy', 'web', '-o', 'wide', '--no-headers'))[0]!.split(/\s+/);
    assert.deepEqual([deploy[0], deploy[1], deploy[5], deploy[6], deploy[7]], ['web', '0/2', 'web,sidecar', 'nginx:1.25,busybox:1.36', 'app=web']);
    // Kinds without their own columns yet keep kube-apiserver's default ones.
    await run('-n', 'printing', 'create', 'role', 'reader', '--verb=get', '--resource=pods');
    assert.deepEqual(await header('roles'), ['NAME', 'CREATED AT']);
  });

  test('get -w --output-watch-events shows ADDED, MODIFIED and DELETED in order', async () => {
    await namespace('watch');
    const watcher = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, '-n', 'watch', 'get', 'configmaps', '-w', '--output-watch-events', '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
    watcher.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<void>((resolve) => watcher.on('exit', () => resolve()));
    type WatchEvent = { type: string; object: ConfigMap };
    const events = (): WatchEvent[] => (jsonObjects(out) as WatchEvent[]).filter((e) => e.object.metadata?.name === 'watched');
    const waitFor = (type: string): Promise<boolean> => until(`${type} (stdout: ${out}, stderr: ${err})`, () => events().some((e) => e.type === type));
    try {
      await create('watch', manifest(configMap('watched', { data: { v: '1' } })));
      // Seen once kubectl has listed; later changes reach it through the watch, from that list's resourceVersion.
      await waitFor('ADDED');
      await run('-n', 'watch', 'patch', 'cm', 'watched', '--type=merge', '-p', '{"data":{"v":"2"}}');
      await waitFor('MODIFIED');
      await run('-n', 'watch', 'delete', 'cm', 'watched');
      await waitFor('DELETED');
    } finally {
      watcher.kill('SIGTERM');
      await exited;
    }
    const seen = events();
    assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.deepEqual(seen.map((e) => e.object.data?.v), ['1', '2', '2']);
    const rvs = seen.map((e) => Number(e.object.metadata?.resourceVersion));
    assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `resourceVersions increase: ${rvs.join(', ')}`);
  });

  test('label and annotate add, overwrite and remove metadata', async () => {
    await namespace('meta');
    await create('meta', manifest(configMap('tagged')));
    assert.equal(await run('-n', 'meta', 'label', 'cm', 'tagged', 'tier=front', 'team=web'), 'configmap/tagged labeled\n');
    assert.equal(await run('-n', 'meta', 'annotate', 'cm', 'tagged', 'owner=alice'), 'configmap/tagged annotated\n');
    let cm = await getJSON<ConfigMap>('-n', 'meta', 'cm', 'tagged');
    assert.deepEqual(cm.metadata?.labels, { tier: 'front', team: 'web' });
    assert.equal(cm.metadata?.annotations?.owner, 'alice');

    assert.match(failed(await k('-n', 'meta', 'label', 'cm', 'tagged', 'tier=back')), /already has a value \(front\), and --overwrite is false/);
    await run('-n', 'meta', 'label', 'cm', 'tagged', 'tier=back', '--overwrite');
    assert.equal(await run('-n', 'meta', 'label', 'cm', 'tagged', 'team-'), 'configmap/tagged unlabeled\n');
    await run('-n', 'meta', 'annotate', 'cm', 'tagged', 'owner-');
    cm = await getJSON<ConfigMap>('-n', 'meta', 'cm', 'tagged');
    assert.deepEqual(cm.metadata?.labels, { tier: 'back' });
    assert.equal(cm.metadata?.annotations?.owner, undefined);
    assert.equal(await run('-n', 'meta', 'get', 'cm', '-l', 'tier=back', '-o', 'name'), 'configmap/tagged\n');
  });

  test('patch with --type=json, --type=merge and the default strategic merge', async () => {
    await namespace('patch');
    await create('patch', manifest(configMap('conf', { data: { a: '1', b: '2' } })));
    await cluster.kubectl(['-n', 'patch', 'apply', '-f', '-'], { input: webApp('nginx:1.27') }).then(ok);

    assert.equal(
      await run('-n', 'patch', 'patch', 'cm', 'conf', '--type=json', '-p', '[{"op":"replace","path":"/data/a","value":"10"},{"op":"remove","path":"/data/b"},{"op":"add","path":"/data/c","value":"3"}]'),
      'configmap/conf patched\n',
    );
    assert.deepEqual((await getJSON<ConfigMap>('-n', 'patch', 'cm', 'conf')).data, { a: '10', c: '3' });
    // A failing test op leaves the object alone.
    assert.match(failed(await k('-n', 'patch', 'patch', 'cm', 'conf', '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"nope"},{"op":"remove","path":"/data/a"}]')), /test/i);
    assert.deepEqual((await getJSON<ConfigMap>('-n', 'patch', 'cm', 'conf')).data, { a: '10', c: '3' });

    await run('-n', 'patch', 'patch', 'cm', 'conf', '--type=merge', '-p', '{"data":{"a":null,"d":"4"}}');
    assert.deepEqual((await getJSON<ConfigMap>('-n', 'patch', 'cm', 'conf')).data, { c: '3', d: '4' });

    // Strategic merge (kubectl's default) merges containers by name; the sidecar stays.
    await run('-n', 'patch', 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.29"}]}}}}');
    let deploy = await getJSON<Deployment>('-n', 'patch', 'deploy', 'web');
    assert.deepEqual(deploy.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`), ['web=nginx:1.29', 'sidecar=busybox:1.36']);
    assert.equal(deploy.metadata?.generation, 2);
    // A merge patch replaces the list whole.
    await run('-n', 'patch', 'patch', 'deploy', 'web', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.30"}]}}}}');
    deploy = await getJSON<Deployment>('-n', 'patch', 'deploy', 'web');
    assert.deepEqual(deploy.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`), ['web=nginx:1.30']);
    assert.equal(deploy.metadata?.generation, 3);
  });

  test('edit saves what EDITOR changed', async () => {
    await namespace('edit');
    await create('edit', manifest(configMap('editable', { data: { greeting: 'hello-from-yaml' } })));
    const before = await getJSON<ConfigMap>('-n', 'edit', 'cm', 'editable');
    const r = await cluster.kubectl(['-n', 'edit', 'edit', 'cm', 'editable'], { env: { KUBE_EDITOR: '', EDITOR: 'sed -i s/hello-from-yaml/edited-by-sed/' } });
    assert.equal(ok(r), 'configmap/editable edited\n');
    const after = await getJSON<ConfigMap>('-n', 'edit', 'cm', 'editable');
    assert.deepEqual(after.data, { greeting: 'edited-by-sed' });
    assert.equal(after.metadata?.uid, before.metadata?.uid);
    assert.notEqual(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
  });

  test('delete one object, with -l, with --all, and with --wait', async () => {
    await namespace('delete');
    await create(
      'delete',
      manifest(
        configMap('one'),
        configMap('two', { labels: { group: 'x' } }),
        configMap('three', { labels: { group: 'x' } }),
        configMap('four', { labels: { group: 'y' } }),
        configMap('five'),
        configMap('six'),
      ),
    );
    const names = async (): Promise<string[]> => lines(await run('-n', 'delete', 'get', 'cm', '-o', 'name')).sort();

    assert.equal(await run('-n', 'delete', 'delete', 'cm', 'one'), 'configmap "one" deleted\n');
    assert.deepEqual(await names(), ['configmap/five', 'configmap/four', 'configmap/six', 'configmap/three', 'configmap/two']);
    assert.deepEqual(lines(await run('-n', 'delete', 'delete', 'cm', '-l', 'group=x')).sort(), ['configmap "three" deleted', 'configmap "two" deleted']);
    assert.deepEqual(await names(), ['configmap/five', 'configmap/four', 'configmap/six']);
    assert.equal(await run('-n', 'delete', 'delete', 'cm', 'four', '--wait'), 'configmap "four" deleted\n');
    assert.deepEqual(await names(), ['configmap/five', 'configmap/six']);
    assert.deepEqual(lines(await run('-n', 'delete', 'delete', 'cm', '--all')).sort(), ['configmap "five" deleted', 'configmap "six" deleted']);
    const empty = await k('-n', 'delete', 'get', 'cm');
    assert.equal(ok(empty), '');
    assert.match(empty.stderr, /No resources found in delete namespace\./);
    assert.match(failed(await k('-n', 'delete', 'delete', 'cm', 'one')), /Error from server \(NotFound\): configmaps "one" not found/);
  });

  // kubectl sends the next three as protobuf (application/vnd.kubernetes.protobuf).
  test('create configmap --from-literal', async () => {
    await namespace('from-literal');
    assert.equal(await run('-n', 'from-literal', 'create', 'configmap', 'lit', '--from-literal=greeting=hello', '--from-literal=mode=fast'), 'configmap/lit created\n');
    const cm = await getJSON<ConfigMap>('-n', 'from-literal', 'cm', 'lit');
    assert.deepEqual(cm.data, { greeting: 'hello', mode: 'fast' });
  });

  test('create configmap --from-file', async () => {
    await namespace('from-file');
    const file = join(files.path, 'app.properties');
    await writeFile(file, 'color=blue\nsize=10\n');
    assert.equal(await run('-n', 'from-file', 'create', 'configmap', 'props', `--from-file=${file}`), 'configmap/props created\n');
    const cm = await getJSON<ConfigMap>('-n', 'from-file', 'cm', 'props');
    assert.deepEqual(cm.data, { 'app.properties': 'color=blue\nsize=10\n' });
  });

  test('create secret generic --from-literal', async () => {
    await namespace('secret');
    assert.equal(await run('-n', 'secret', 'create', 'secret', 'generic', 'creds', '--from-literal=password=s3cr3t!'), 'secret/creds created\n');
    const secret = await getJSON<Secret>('-n', 'secret', 'secret', 'creds');
    assert.equal(secret.type, 'Opaque');
    assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8'), 's3cr3t!');
    assert.equal(await run('-n', 'secret', 'get', 'secret', 'creds', '-o', 'jsonpath={.data.password}'), Buffer.from('s3cr3t!').toString('base64'));
  });

  test('replace with a stale resourceVersion is a Conflict', async () => {
    await namespace('stale');
    await create('stale', manifest(configMap('x', { data: { v: '1' } })));
    const old = await run('-n', 'stale', 'get', 'cm', 'x', '-o', 'json');
    await run('-n', 'stale', 'patch', 'cm', 'x', '--type=merge', '-p', '{"data":{"v":"2"}}');
    const stale = JSON.parse(old) as ConfigMap;
    const r = await cluster.kubectl(['-n', 'stale', 'replace', '-f', '-'], { input: JSON.stringify({ ...stale, data: { v: '3' } }) });
    assert.ok(
      failed(r).includes(
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again',
      ),
      r.stderr,
    );
    assert.deepEqual((await getJSON<ConfigMap>('-n', 'stale', 'cm', 'x')).data, { v: '2' });
  });

  test('creating an existing name is AlreadyExists', async () => {
    await namespace('exists');
    await create('exists', manifest(configMap('dup')));
    const r = await cluster.kubectl(['-n', 'exists', 'create', '-f', '-'], { input: manifest(configMap('dup')) });
    assert.match(failed(r), /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "dup" already exists/);
  });

  test('an invalid name is Invalid', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: manifest(configMap('Bad_Name')) });
    assert.match(failed(r), /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  test('an unknown resource type is refused', async () => {
    assert.match(failed(await k('get', 'widgets')), /error: the server doesn't have a resource type "widgets"/);
  });

  test('creating in a missing namespace is NotFound', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: manifest({ ...configMap('ghost'), metadata: { name: 'ghost', namespace: 'nope' } }) });
    assert.match(failed(r), /Error from server \(NotFound\): error when creating "STDIN": namespaces "nope" not found/);
  });

  test('scale sets spec.replicas; /scale is a Scale', async () => {
    await namespace('scale');
    await cluster.kubectl(['-n', 'scale', 'apply', '-f', '-'], { input: webApp('nginx:1.27') }).then(ok);
    assert.equal(await run('-n', 'scale', 'scale', 'deploy', 'web', '--replicas=5'), 'deployment.apps/web scaled\n');
    const deploy = await getJSON<Deployment>('-n', 'scale', 'deploy', 'web');
    assert.equal(deploy.spec?.replicas, 5);
    assert.equal(deploy.metadata?.generation, 2);
    const scale = JSON.parse(await run('get', '--raw', '/apis/apps/v1/namespaces/scale/deployments/web/scale')) as Scale;
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.metadata?.name, 'web');
    assert.equal(scale.metadata?.uid, deploy.metadata?.uid);
    assert.equal(scale.spec?.replicas, 5);
    assert.equal(scale.status?.selector, 'app=web');
    // --current-replicas is a precondition kubectl checks against the Scale.
    assert.match(failed(await k('-n', 'scale', 'scale', 'deploy', 'web', '--current-replicas=3', '--replicas=1')), /Expected replicas to be 3, was 5/);
    assert.equal((await getJSON<Deployment>('-n', 'scale', 'deploy', 'web')).spec?.replicas, 5);
  });

  test('status is written through /status only', async () => {
    await namespace('status');
    await cluster.kubectl(['-n', 'status', 'apply', '-f', '-'], { input: webApp('nginx:1.27') }).then(ok);
    await run('-n', 'status', 'patch', 'deploy', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":3}}');
    let deploy = await getJSON<Deployment>('-n', 'status', 'deploy', 'web');
    assert.equal(deploy.status?.replicas, 3);
    assert.equal(deploy.metadata?.generation, 1, 'a status write does not bump generation');

    await run('-n', 'status', 'patch', 'deploy', 'web', '--subresource=status', '--type=merge', '-p', '{"spec":{"replicas":9},"status":{"replicas":4}}');
    deploy = await getJSON<Deployment>('-n', 'status', 'deploy', 'web');
    assert.equal(deploy.spec?.replicas, 2, 'a spec change through /status is ignored');
    assert.equal(deploy.status?.replicas, 4);

    await run('-n', 'status', 'patch', 'deploy', 'web', '--type=merge', '-p', '{"status":{"replicas":7}}');
    deploy = await getJSON<Deployment>('-n', 'status', 'deploy', 'web');
    assert.equal(deploy.status?.replicas, 4, 'a status change through the main resource is ignored');
    assert.equal(deploy.metadata?.generation, 1);
  });

  test('a finalizer holds a deleted object until it is removed', async () => {
    await namespace('finalizers');
    await create('finalizers', manifest(configMap('held', { finalizers: ['example.com/hold'] })));
    assert.equal(await run('-n', 'finalizers', 'delete', 'cm', 'held', '--wait=false'), 'configmap "held" deleted\n');
    const marked = await getJSON<ConfigMap>('-n', 'finalizers', 'cm', 'held');
    assert.ok(marked.metadata?.deletionTimestamp, 'deletionTimestamp is set');
    assert.deepEqual(marked.metadata?.finalizers, ['example.com/hold']);
    // Deleting again keeps it marked, with the same deletionTimestamp.
    await run('-n', 'finalizers', 'delete', 'cm', 'held', '--wait=false');
    assert.equal((await getJSON<ConfigMap>('-n', 'finalizers', 'cm', 'held')).metadata?.deletionTimestamp, marked.metadata?.deletionTimestamp);

    await run('-n', 'finalizers', 'patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    assert.match(failed(await k('-n', 'finalizers', 'get', 'cm', 'held')), /Error from server \(NotFound\): configmaps "held" not found/);
  });

  test('field selectors', async () => {
    await namespace('fields');
    await create('fields', manifest(pod('a', { app: 'web' }), pod('b', { app: 'api' })));
    assert.deepEqual(lines(await run('-n', 'fields', 'get', 'pods', '--field-selector=status.phase=Pending', '-o', 'name')), ['pod/a', 'pod/b']);
    assert.deepEqual(lines(await run('-n', 'fields', 'get', 'pods', '--field-selector=metadata.name=b', '-o', 'name')), ['pod/b']);
    const none = await k('-n', 'fields', 'get', 'pods', '--field-selector=status.phase=Running');
    assert.equal(ok(none), '');
    assert.match(none.stderr, /No resources found in fields namespace\./);
    assert.match(
      failed(await k('-n', 'fields', 'get', 'pods', '--field-selector=spec.bogus=x')),
      /Error from server \(BadRequest\): Unable to find "\/v1, Resource=pods" that match label selector "", field selector "spec\.bogus=x": field label not supported: spec\.bogus/,
    );
  });

  test('label selectors', async () => {
    await namespace('labels');
    await create(
      'labels',
      manifest(pod('web-1', { app: 'web', tier: 'front' }), pod('api-1', { app: 'api' }), pod('db-1', { app: 'db', tier: 'back' }), pod('cache-1', { app: 'cache' })),
    );
    const names = async (selector: string): Promise<string[]> => lines(await run('-n', 'labels', 'get', 'po', '-l', selector, '-o', 'name')).sort();
    assert.deepEqual(await names('app in (web,api)'), ['pod/api-1', 'pod/web-1']);
    assert.deepEqual(await names('!tier'), ['pod/api-1', 'pod/cache-1']);
    assert.deepEqual(await names('app=db'), ['pod/db-1']);
    assert.deepEqual(await names('app!=db,tier'), ['pod/web-1']);
    assert.deepEqual(await names('app notin (web,api,db)'), ['pod/cache-1']);
  });

  test('get --chunk-size pages through the list', async () => {
    await namespace('paging');
    await create('paging', manifest(...['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((n) => configMap(n))));
    const r = await k('-n', 'paging', 'get', 'configmaps', '--chunk-size=2', '-o', 'name', '-v=6');
    const names = lines(ok(r)).filter((l) => /^configmap\/p\d$/.test(l));
    assert.deepEqual(names, ['configmap/p1', 'configmap/p2', 'configmap/p3', 'configmap/p4', 'configmap/p5', 'configmap/p6', 'configmap/p7']);
    // Four pages of two: the first, then three with a continue token.
    const requests = r.stderr.split('\n').filter((l) => /GET https:\S+\/namespaces\/paging\/configmaps\?\S*limit=2/.test(l));
    assert.equal(requests.length, 4, requests.join('\n'));
    assert.equal(requests.filter((l) => l.includes('continue=')).length, 3);
  });

  test('get prints the columns for nodes, workloads, jobs, events, RBAC', async () => {
    const ns = 'printing-more';
    await namespace(ns);
    const get = async (...args: string[]): Promise<string[]> => lines(await run('-n', ns, 'get', ...args));
    const header = async (...args: string[]): Promise<string[]> => (await get(...args))[0]!.split(/\s{2,}/);
    const row = async (...args: string[]): Promise<string[]> => (await get(...args, '--no-headers'))[0]!.split(/\s{2,}/);
    const template = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } };
    await create(
      ns,
      manifest(
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'printing-cp', labels: { 'node-role.kubernetes.io/control-plane': '' } } },
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'printing-worker' }, spec: { unschedulable: true } },
        { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template } },
        { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'db' } }, template: { ...template, spec: { ...template.spec, nodeSelector: { disk: 'ssd' } } } } },
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'db-0.1' },
          involvedObject: { kind: 'Pod', name: 'db-0', namespace: ns },
          reason: 'Scheduled',
          message: 'Successfully assigned db-0',
          type: 'Normal',
          source: { component: 'default-scheduler' },
          firstTimestamp: new Date(Date.now() - 90_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          lastTimestamp: new Date(Date.now() - 90_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          count: 3,
        },
      ),
    );
    await run('patch', 'node', 'printing-cp', '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.13' },
      },
    }));
    await run('-n', ns, 'create', 'job', 'pi', '--image=perl:5.34');
    const started = new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const completed = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await run('-n', ns, 'patch', 'job', 'pi', '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: { startTime: started, completionTime: completed, succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
    }));
    await run('-n', ns, 'create', 'cronjob', 'nightly', '--image=busybox:1.36', '--schedule=0 3 * * *');
    await run('-n', ns, 'create', 'serviceaccount', 'ci');
    await run('-n', ns, 'create', 'rolebinding', 'readers', '--clusterrole=view', '--user=alice', '--user=bob', '--group=devs', `--serviceaccount=${ns}:ci`);
    await run('create', 'clusterrolebinding', 'printing-readers', '--clusterrole=view', '--group=devs');
    await run('-n', ns, 'create', 'role', 'reader', '--verb=get', '--resource=pods');

    assert.deepEqual(await header('nodes', 'printing-cp', '-o', 'wide'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    const cp = await row('nodes', 'printing-cp', '-o', 'wide');
    assert.deepEqual([...cp.slice(0, 3), ...cp.slice(4)], ['printing-cp', 'Ready', 'control-plane', 'v1.32.0', '10.0.0.5', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'containerd://1.7.13']);
    assert.deepEqual((await row('nodes', 'printing-worker')).slice(0, 3), ['printing-worker', 'Unknown,SchedulingDisabled', '<none>']);

    assert.deepEqual(await header('statefulsets', '-o', 'wide'), ['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES']);
    const sts = await row('sts', 'db', '-o', 'wide');
    assert.deepEqual([sts[0], sts[1], sts[3], sts[4]], ['db', '0/2', 'db', 'postgres:16']);
    assert.deepEqual(await header('daemonsets', '-o', 'wide'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const ds = await row('ds', 'agent', '-o', 'wide');
    assert.deepEqual([...ds.slice(0, 7), ...ds.slice(8)], ['agent', '0', '0', '0', '0', '0', 'disk=ssd', 'db', 'postgres:16', 'app=db']);

    assert.deepEqual(await header('jobs', '-o', 'wide'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.deepEqual((await row('job', 'pi')).slice(0, 4), ['pi', 'Complete', '1/1', '60s']);
    assert.deepEqual(await header('cronjobs', '-o', 'wide'), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const cj = await row('cronjob', 'nightly', '-o', 'wide');
    assert.deepEqual([...cj.slice(0, 6), ...cj.slice(7, 9)], ['nightly', '0 3 * * *', '<none>', 'False', '0', '<none>', 'nightly', 'busybox:1.36']);

    assert.deepEqual(await header('events'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.deepEqual(await header('events', '-o', 'wide'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    const ev = await row('events');
    assert.deepEqual(ev.slice(1), ['Normal', 'Scheduled', 'pod/db-0', 'Successfully assigned db-0']);
    assert.match(ev[0]!, /^\d+s$/);

    assert.deepEqual(await header('serviceaccounts', 'ci'), ['NAME', 'SECRETS', 'AGE']);
    assert.deepEqual((await row('sa', 'ci')).slice(0, 2), ['ci', '0']);
    assert.deepEqual(await header('rolebindings', '-o', 'wide'), ['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    const rb = await row('rolebinding', 'readers', '-o', 'wide');
    assert.deepEqual([rb[0], rb[1], ...rb.slice(3)], ['readers', 'ClusterRole/view', 'alice, bob', 'devs', `${ns}/ci`]);
    assert.deepEqual((await row('clusterrolebinding', 'printing-readers')).slice(0, 2), ['printing-readers', 'ClusterRole/view']);
    // Roles and ClusterRoles keep kube-apiserver's default columns.
    assert.deepEqual(await header('roles'), ['NAME', 'CREATED AT']);
  });

  test('create fills in kube\'s defaults, and applying the same minimal file afterwards changes nothing', async () => {
    await namespace('defaults');
    const minimal = manifest(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    );
    // --save-config records the file as last applied, as `apply` would have, so the apply below compares like with like.
    const created = ok(await cluster.kubectl(['-n', 'defaults', 'create', '--save-config', '-f', '-'], { input: minimal }));
    assert.deepEqual(lines(created), ['deployment.apps/web created', 'service/web created']);

    const deploy = await getJSON<Deployment>('-n', 'defaults', 'deployment', 'web');
    assert.equal(deploy.spec?.replicas, 1);
    assert.deepEqual(deploy.spec?.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    assert.equal(deploy.spec?.revisionHistoryLimit, 10);
    assert.equal(deploy.spec?.progressDeadlineSeconds, 600);
    const [container] = deploy.spec?.template.spec?.containers ?? [];
    assert.equal(container?.imagePullPolicy, 'Always', 'an image without a tag is pulled every time');
    assert.equal(container?.terminationMessagePath, '/dev/termination-log');
    assert.equal(container?.terminationMessagePolicy, 'File');
    assert.equal(deploy.spec?.template.spec?.restartPolicy, 'Always');
    assert.equal(deploy.spec?.template.spec?.dnsPolicy, 'ClusterFirst');

    const svc = await getJSON<Service>('-n', 'defaults', 'service', 'web');
    assert.equal(svc.spec?.type, 'ClusterIP');
    assert.equal(svc.spec?.sessionAffinity, 'None');
    assert.deepEqual(svc.spec?.ports, [{ port: 80, targetPort: 80, protocol: 'TCP' }]);

    const file = join(files.path, 'defaults.yaml');
    await writeFile(file, minimal);
    assert.deepEqual(lines(await run('-n', 'defaults', 'apply', '-f', file)), ['deployment.apps/web unchanged', 'service/web unchanged']);
    const again = await getJSON<Deployment>('-n', 'defaults', 'deployment', 'web');
    assert.equal(again.metadata?.resourceVersion, deploy.metadata?.resourceVersion, 'an unchanged apply writes nothing');
  });

  test('services get distinct cluster IPs and node ports; the kubernetes service fronts the apiserver', async () => {
    const kubernetes = lines(await run('get', 'svc', 'kubernetes', '-n', 'default', '--no-headers'))[0]!.split(/\s+/);
    assert.deepEqual(kubernetes.slice(0, 5), ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP']);
    const ksvc = await getJSON<Service>('-n', 'default', 'svc', 'kubernetes');
    assert.deepEqual(ksvc.spec?.ports?.[0], { name: 'https', port: 443, protocol: 'TCP', targetPort: cluster.port });
    await namespace('svcips');
    const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
    await Promise.all(names.map((n) => run('-n', 'svcips', 'create', 'service', 'clusterip', n, '--tcp=80:8080')));
    const list = await getJSON<{ items: Service[] }>('-n', 'svcips', 'services');
    const ips = list.items.map((s) => s.spec?.clusterIP ?? '');
    assert.equal(new Set(ips).size, 20);
    for (const ip of ips) {
      const [a, b] = ip.split('.').map(Number);
      assert.ok(a === 10 && b! >= 96 && b! <= 111, ip);
    }
    await run('-n', 'svcips', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080');
    const np = await getJSON<Service>('-n', 'svcips', 'svc', 'np');
    const nodePort = np.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    const taken = ips[0]!;
    const dup = failed(await k('-n', 'svcips', 'create', 'service', 'clusterip', 'dup', '--tcp=80:8080', `--clusterip=${taken}`));
    assert.match(dup, new RegExp(`spec\\.clusterIPs: Invalid value: \\[\\]string\\{"${taken.replace(/\./g, '\\.')}"\\}: failed to allocate IP ${taken.replace(/\./g, '\\.')}: provided IP is already allocated`));
    const owner = list.items.find((s) => s.spec?.clusterIP === taken)!.metadata!.name!;
    await run('-n', 'svcips', 'delete', 'service', owner);
    await run('-n', 'svcips', 'create', 'service', 'clusterip', 'dup', '--tcp=80:8080', `--clusterip=${taken}`);
    assert.equal((await getJSON<Service>('-n', 'svcips', 'svc', 'dup')).spec?.clusterIP, taken);
  });
});
