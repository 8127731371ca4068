/**
 * End-to-end: the real kubectl 1.32 sends invalid manifests to a real `k8ts up`, and prints exactly what it
 * prints against kube-apiserver — the kind, the name, each field path and kube's wording of each problem.
 * Update cases first create a valid object, then change what kube forbids changing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { failed, ok } from '../helpers/kubectl-e2e.js';

const POD = (name: string, spec: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${spec}`;

const DEPLOYMENT = (name: string, selector: string, labels: string, podSpec = '      containers:\n      - name: app\n        image: busybox:1.36'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      ${selector}
  template:
    metadata:
      labels:
        ${labels}
    spec:
${podSpec}`;

const DNS_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** [what, kubectl verb, manifest, exactly what kubectl prints on stderr]. */
const CASES: Array<[string, 'apply' | 'create', string, string]> = [
  [
    'deployment selector does not match template labels',
    'apply',
    DEPLOYMENT('web', 'app: web', 'app: other'),
    'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
  ],
  [
    'object names are DNS subdomains',
    'apply',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name',
    `The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ],
  [
    'label values are at most 63 characters',
    'apply',
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long-label\n  labels:\n    app: ${'a'.repeat(64)}`,
    `The ConfigMap "long-label" is invalid: metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
  ],
  [
    "template labels are checked at kube's path",
    'apply',
    DEPLOYMENT('tmpl', 'app: tmpl', 'app: tmpl\n        tier: "has space"'),
    `The Deployment "tmpl" is invalid: spec.template.labels: Invalid value: "has space": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  ],
  ['pod without containers', 'apply', POD('empty', '  containers: []'), 'The Pod "empty" is invalid: spec.containers: Required value'],
  [
    'pod restartPolicy enum',
    'apply',
    POD('rp', '  restartPolicy: Sometimes\n  containers:\n  - name: app\n    image: busybox:1.36'),
    'The Pod "rp" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ],
  [
    'pod dnsPolicy enum',
    'apply',
    POD('dns', '  dnsPolicy: Cluster\n  containers:\n  - name: app\n    image: busybox:1.36'),
    'The Pod "dns" is invalid: spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
  ],
  [
    'container name is a DNS label',
    'apply',
    POD('upper', '  containers:\n  - name: Web\n    image: busybox:1.36'),
    `The Pod "upper" is invalid: spec.containers[0].name: Invalid value: "Web": ${DNS_LABEL_MSG}`,
  ],
  [
    'duplicate container names',
    'apply',
    POD('twins', '  containers:\n  - name: app\n    image: busybox:1.36\n  - name: app\n    image: busybox:1.36'),
    'The Pod "twins" is invalid: spec.containers[1].name: Duplicate value: "app"',
  ],
  [
    'requests above limits',
    'apply',
    POD('res', '  containers:\n  - name: app\n    image: busybox:1.36\n    resources:\n      requests:\n        cpu: "2"\n      limits:\n        cpu: 1000m'),
    'The Pod "res" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  ],
  [
    'container port out of range',
    'apply',
    POD('port', '  containers:\n  - name: app\n    image: busybox:1.36\n    ports:\n    - containerPort: 70000'),
    'The Pod "port" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ],
  [
    'duplicate port names',
    'apply',
    POD('ports', '  containers:\n  - name: app\n    image: busybox:1.36\n    ports:\n    - name: http\n      containerPort: 80\n    - name: http\n      containerPort: 81'),
    'The Pod "ports" is invalid: spec.containers[0].ports[1].name: Duplicate value: "http"',
  ],
  [
    'volume mount names no volume',
    'apply',
    POD('mount', '  containers:\n  - name: app\n    image: busybox:1.36\n    volumeMounts:\n    - name: data\n      mountPath: /data'),
    'The Pod "mount" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "data"',
  ],
  [
    'liveness probe successThreshold',
    'apply',
    POD('live', '  containers:\n  - name: app\n    image: busybox:1.36\n    livenessProbe:\n      successThreshold: 2\n      exec:\n        command: ["true"]'),
    'The Pod "live" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ],
  [
    'probe without a handler',
    'apply',
    POD('ready', '  containers:\n  - name: app\n    image: busybox:1.36\n    readinessProbe:\n      periodSeconds: 5'),
    'The Pod "ready" is invalid: spec.containers[0].readinessProbe: Required value: must specify a handler type',
  ],
  [
    'imagePullPolicy enum',
    'apply',
    POD('pull', '  containers:\n  - name: app\n    image: busybox:1.36\n    imagePullPolicy: Sometimes'),
    'The Pod "pull" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
  ],
  [
    'deployment pods must restart Always',
    'apply',
    DEPLOYMENT('never', 'app: never', 'app: never', '      restartPolicy: Never\n      containers:\n      - name: app\n        image: busybox:1.36'),
    'The Deployment "never" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ],
  [
    'job needs OnFailure or Never',
    'apply',
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: busybox:1.36',
    'The Job "job" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  ],
  [
    'cron schedule out of range',
    'apply',
    'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj\nspec:\n  schedule: "61 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: app\n            image: busybox:1.36',
    'The CronJob "cj" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
  ],
  [
    'cron schedule field count',
    'apply',
    'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj3\nspec:\n  schedule: "* * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: app\n            image: busybox:1.36',
    'The CronJob "cj3" is invalid: spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
  ],
  [
    'service type enum',
    'apply',
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  type: Internal\n  ports:\n  - port: 80',
    'The Service "svc" is invalid: spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ],
  [
    'service ports need names when several',
    'apply',
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: svc2\nspec:\n  ports:\n  - port: 80\n  - port: 443',
    'The Service "svc2" is invalid: \n* spec.ports[0].name: Required value\n* spec.ports[1].name: Required value',
  ],
  [
    'configmap key',
    'apply',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  "bad key": x',
    `The ConfigMap "cm" is invalid: data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ],
  [
    'configmap over 1 MiB',
    'create',
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: ${'x'.repeat(600 * 1024)}\n  b: ${'y'.repeat(600 * 1024)}`,
    'The ConfigMap "big" is invalid: : Too long: must have at most 1048576 bytes',
  ],
  [
    'tls secret keys',
    'apply',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\ntype: kubernetes.io/tls\ndata:\n  other: eA==',
    'The Secret "tls" is invalid: \n* data[tls.crt]: Required value\n* data[tls.key]: Required value',
  ],
  [
    'claim without a size',
    'apply',
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: claim\nspec:\n  accessModes: [ReadWriteOnce]',
    'The PersistentVolumeClaim "claim" is invalid: spec.resources[storage]: Required value',
  ],
  [
    'ingress path without a type',
    'apply',
    'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing\nspec:\n  rules:\n  - host: example.com\n    http:\n      paths:\n      - path: /\n        backend:\n          service:\n            name: web\n            port:\n              number: 80',
    'The Ingress "ing" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
  ],
  [
    'network policy port',
    'apply',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000',
    'The NetworkPolicy "np" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ],
  [
    'hpa max below min',
    'apply',
    'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: hpa\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 3\n  maxReplicas: 2',
    'The HorizontalPodAutoscaler "hpa" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
  ],
  [
    'user priority class too high',
    'apply',
    'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: too-high\nvalue: 2000000000',
    'The PriorityClass "too-high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
  ],
  [
    'lease duration',
    'apply',
    'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: lease\nspec:\n  leaseDurationSeconds: 0',
    'The Lease "lease" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ],
  [
    'role rule without verbs',
    'apply',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role\nrules:\n- apiGroups: [""]\n  resources: [pods]',
    'The Role "role" is invalid: rules[0].verbs: Required value: verbs must contain at least one value',
  ],
  [
    'role binding roleRef kind',
    'apply',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Deployment\n  name: x\nsubjects:\n- kind: User\n  name: jane',
    'The RoleBinding "rb" is invalid: roleRef.kind: Unsupported value: "Deployment": supported values: "Role", "ClusterRole"',
  ],
  [
    'storage class reclaim policy',
    'apply',
    'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: sc\nprovisioner: example.com/disk\nreclaimPolicy: Keep',
    'The StorageClass "sc" is invalid: reclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
  ],
  [
    'statefulset selector does not match',
    'apply',
    'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: db\n        image: busybox:1.36',
    'The StatefulSet "db" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ],
  [
    'daemonset with an empty selector',
    'apply',
    'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector: {}\n  template:\n    metadata:\n      labels:\n        app: agent\n    spec:\n      containers:\n      - name: agent\n        image: busybox:1.36',
    'The DaemonSet "agent" is invalid: spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for daemonset',
  ],
];

/** The first line of what kubectl printed (kube appends a diff after some Forbidden messages). */
const firstLine = (s: string): string => s.split('\n')[0]!;

describe('validation as kube-apiserver words it, through kubectl', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test(`${CASES.length} invalid manifests are refused with kube's exact messages`, async () => {
    assert.ok(CASES.length >= 20);
    for (const [what, verb, yaml, expected] of CASES) {
      const r = await cluster.kubectl([verb, '-f', '-'], { input: yaml });
      assert.equal(failed(r).trim(), expected, what);
    }
  });

  test('an unparsable quantity is a 400 from the decoder, as in kube', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], {
      input: POD('badq', '  containers:\n  - name: app\n    image: busybox:1.36\n    resources:\n      limits:\n        memory: lots'),
    });
    assert.equal(
      failed(r).trim(),
      `Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  });

  test('valid manifests of the same kinds are accepted', async () => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT('good', 'app: good', 'app: good') }));
    ok(
      await cluster.kubectl(['apply', '-f', '-'], {
        input: 'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: "0 3 * * 1-5"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: app\n            image: busybox:1.36',
      }),
    );
    ok(
      await cluster.kubectl(['apply', '-f', '-'], {
        input: POD('fine', '  containers:\n  - name: app\n    image: busybox:1.36\n    resources:\n      requests:\n        cpu: 500m\n        memory: 64Mi\n      limits:\n        cpu: "1"\n        memory: 0.125Gi'),
      }),
    );
  });

  test("a deployment's selector is immutable", async () => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT('sel', 'app: sel', 'app: sel') }));
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT('sel', 'app: sel2', 'app: sel2') });
    assert.equal(
      failed(r).trim(),
      'The Deployment "sel" is invalid: spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: sel2,},MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable',
    );
  });

  test("a pod's spec is fixed except its images", async () => {
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: POD('fixed', '  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, "3600"]') }));
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: POD('fixed', '  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, "60"]') });
    assert.equal(
      firstLine(failed(r)),
      'The Pod "fixed" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: POD('fixed', '  containers:\n  - name: app\n    image: busybox:1.37\n    command: [sleep, "3600"]') }));
    assert.equal(ok(await cluster.kubectl(['get', 'pod', 'fixed', '-o', 'jsonpath={.spec.containers[0].image}'])), 'busybox:1.37');
  });

  test("a service's cluster IP may not change once set", async () => {
    const svc = (ip?: string): string =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-ip\nspec:\n${ip ? `  clusterIP: ${ip}\n` : ''}  selector:\n    app: web\n  ports:\n  - port: 80`;
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: svc() }));
    const ip = ok(await cluster.kubectl(['get', 'service', 'svc-ip', '-o', 'jsonpath={.spec.clusterIP}']));
    const other = ip.endsWith('.77') ? ip.replace(/\.77$/, '.78') : ip.replace(/\.\d+$/, '.77');
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: svc(other) });
    assert.equal(failed(r).trim(), `The Service "svc-ip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"${other}"}: may not change once set`);
  });

  test("a statefulset's spec is fixed except replicas, template and strategies", async () => {
    const sts = (serviceName: string, replicas: number): string =>
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db-upd\nspec:\n  serviceName: ${serviceName}\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n      - name: db\n        image: busybox:1.36`;
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: sts('db', 1) }));
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: sts('db', 3) }));
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: sts('other', 3) });
    assert.equal(
      failed(r).trim(),
      "The StatefulSet \"db-upd\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });

  test("a claim's spec and a secret's type are immutable", async () => {
    const claim = (mode: string): string =>
      `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: claim-upd\nspec:\n  accessModes: [${mode}]\n  resources:\n    requests:\n      storage: 1Gi`;
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: claim('ReadWriteOnce') }));
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: claim('ReadWriteMany') });
    assert.equal(
      firstLine(failed(r)),
      'The PersistentVolumeClaim "claim-upd" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
    const secret = (type: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-upd\ntype: ${type}\ndata:\n  username: dXNlcg==`;
    ok(await cluster.kubectl(['apply', '-f', '-'], { input: secret('Opaque') }));
    const s = await cluster.kubectl(['apply', '-f', '-'], { input: secret('kubernetes.io/basic-auth') });
    assert.equal(failed(s).trim(), 'The Secret "s-upd" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable');
  });
});
