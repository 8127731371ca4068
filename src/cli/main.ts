import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { addImagesCommand } from './images.js';
import { addSimFlags } from './sim-flags.js';
import { COMPONENTS } from './components.js';
import { addKubeletFlags, DEFAULT_AGENT_DATA_DIR } from './kubelet-flags.js';
import { K8TS_VERSION } from '../version.js';

const program = new Command('k8ts')
  .description('Kubernetes, built again in TypeScript')
  .version(K8TS_VERSION, '--version', 'print the k8ts version');

/** The controller manager's flags, shared by `up` (in-process) and `controller-manager`. */
function addControllerManagerFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--controllers <list>', "controllers to run: '*' is all, 'foo' enables one, '-foo' disables one (comma-separated)")
        .default(['*'])
        .argParser((v: string) => v.split(',')),
    )
    .option('--node-monitor-grace-period <duration>', "how long a node's heartbeat may be missing before it is marked Unknown", '40s')
    .addOption(
      new Option('--terminated-pod-gc-threshold <n>', 'terminated pods that can exist before the pod garbage collector deletes the oldest (0 turns it off)')
        .default(12500)
        .argParser(Number),
    );
}

const upCommand = program
  .command('up')
  .description('start a k8ts cluster on this machine')
  .option('--data-dir <dir>', 'where state, certificates and logs live', join(homedir(), '.k8ts'))
  .option('--datastore <url>', 'sqlite (default: <data-dir>/db/state.db), sqlite:///path/state.db, or etcd://host:2379[,host:2379]')
  .addOption(new Option('--port <port>', "the apiserver's HTTPS port").default(6443).argParser(Number))
  .option('--bind-address <address>', 'the address the apiserver listens on', '127.0.0.1')
  .option('--token-auth-file <file>', "bearer tokens, in kube-apiserver's static token CSV format (token,user,uid,\"group1,group2\")")
  .addOption(
    new Option('--disable <components>', `components not to run (comma-separated: ${COMPONENTS.join(', ')})`)
      .default([])
      .argParser((v: string) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  )
  .addOption(new Option('--compaction-interval <seconds>', 'how often storage history is compacted').default(60).argParser(Number))
  .addOption(new Option('--compaction-retention <seconds>', 'history kept for watches to resume from').default(300).argParser(Number))
  .option('--service-cluster-ip-range <cidr>', 'the IPv4 CIDR Services get cluster IPs from', '10.96.0.0/12')
  .option('--service-node-port-range <range>', 'the ports NodePort Services get node ports from', '30000-32767')
  .option('--event-ttl <duration>', 'how long events are kept after they were last observed (Go duration: 1h, 30m, 3s)', '1h')
  .option('--scheduler-config <file>', 'a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) for the scheduler')
  .addOption(new Option('--sim-nodes <n>', 'run this many simulated nodes in-process (pods bound to them run without containers)').default(0).argParser(Number));
// Each command loads only its own modules: `k8ts agent` on a node does not carry the apiserver and store.
addKubeletFlags(addSimFlags(addControllerManagerFlags(upCommand))).action(async (opts) => (await import('./up.js')).up(opts));

addControllerManagerFlags(
  program
    .command('controller-manager')
    .description('run the controllers against a cluster (kube-controller-manager), taking turns with others through a Lease')
    .requiredOption('--kubeconfig <file>', 'the cluster to manage')
    .option('--root-ca-file <file>', "the CA published to every namespace as kube-root-ca.crt (default: the kubeconfig's CA)")
    .option('--service-account-private-key-file <file>', 'the key legacy service account tokens are signed with (<data-dir>/pki/sa.key on the server)')
    .option('--no-leader-elect', 'act without holding the kube-system/kube-controller-manager Lease'),
).action(async (opts) => (await import('./controller-manager.js')).controllerManager(opts));

addSimFlags(
  program
    .command('sim')
    .description('run simulated nodes against a cluster: they register, heartbeat, and run the pods bound to them without containers')
    .requiredOption('--kubeconfig <file>', 'the cluster to join')
    .addOption(new Option('--nodes <n>', 'how many simulated nodes').default(10).argParser(Number)),
).action(async (opts) => (await import('./sim.js')).sim(opts));

addKubeletFlags(
  program
    .command('agent')
    .description('run the node agent (kubelet) on this machine, joining a cluster')
    .requiredOption('--server <url>', "the cluster's apiserver (https://host:6443)")
    .requiredOption('--token <token>', 'a bearer token the apiserver accepts (a service account token or one of --token-auth-file)')
    .requiredOption('--certificate-authority <file>', "the cluster CA's certificate (<data-dir>/pki/ca.crt on the server)")
    .option('--data-dir <dir>', "the node agent's state, containerd's and the pods' logs", DEFAULT_AGENT_DATA_DIR),
).action(async (opts) => (await import('./node-agent.js')).agent(opts));

program
  .command('version')
  .description('print the k8ts version')
  .action(() => console.log(`k8ts ${K8TS_VERSION}`));

addImagesCommand(program);

await program.parseAsync(process.argv);
