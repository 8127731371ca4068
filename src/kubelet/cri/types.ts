/**
 * The CRI v1 (runtime.v1) services and messages the node agent uses, in the camelCase shapes the gRPC client
 * decodes them to. Timestamps are nanoseconds since the epoch as `bigint` (CRI's int64; they exceed 2^53),
 * durations and sizes are numbers. Optional message fields may be absent in replies.
 */

export interface KeyValue {
  key: string;
  value: string;
}

/** CRI's NamespaceMode: POD = 0, CONTAINER = 1, NODE = 2, TARGET = 3. */
export enum NamespaceMode {
  POD = 0,
  CONTAINER = 1,
  NODE = 2,
  TARGET = 3,
}

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
}

export interface Int64Value {
  value: number;
}

export interface PortMapping {
  /** 0 TCP, 1 UDP, 2 SCTP. */
  protocol?: number;
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
}

export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: Record<string, string>;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** Directory under which the runtime writes container logs (`<logDirectory>/<container>/<attempt>.log`). */
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: LinuxPodSandboxConfig;
}

/** PodSandboxState: SANDBOX_READY = 0, SANDBOX_NOTREADY = 1. */
export enum PodSandboxState {
  SANDBOX_READY = 0,
  SANDBOX_NOTREADY = 1,
}

export interface PodIP {
  ip: string;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps?: PodIP[];
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  network?: PodSandboxNetworkStatus;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: Record<string, string>;
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
}

/** Mount propagation: PROPAGATION_PRIVATE = 0, HOST_TO_CONTAINER = 1, BIDIRECTIONAL = 2. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: number;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: Record<string, string>;
  memorySwapLimitInBytes?: number;
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources;
  securityContext?: LinuxContainerSecurityContext;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: LinuxContainerConfig;
}

/** ContainerState: CREATED = 0, RUNNING = 1, EXITED = 2, UNKNOWN = 3. */
export enum ContainerState {
  CONTAINER_CREATED = 0,
  CONTAINER_RUNNING = 1,
  CONTAINER_EXITED = 2,
  CONTAINER_UNKNOWN = 3,
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  image: ImageSpec;
  /** The image's ID (digest) as the runtime resolved it. */
  imageRef: string;
  /** e.g. `Completed`, `Error`, `OOMKilled`. */
  reason: string;
  message: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  mounts?: Mount[];
  logPath: string;
  /**
   * Only when asked for verbosely: the runtime's extra information. containerd puts one key, `info`, holding
   * JSON with e.g. `pid` (the container's init process on the host) and `sandboxID`.
   */
  info?: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: bigint;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** Exec/Attach/PortForward answer with a URL on the runtime's streaming server. */
export interface StreamingUrl {
  url: string;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface PortForwardRequest {
  podSandboxId: string;
  port: number[];
}

export interface UInt64Value {
  value: number;
}

export interface CpuUsage {
  timestamp: bigint;
  usageCoreNanoSeconds?: UInt64Value;
  usageNanoCores?: UInt64Value;
}

export interface MemoryUsage {
  timestamp: bigint;
  workingSetBytes?: UInt64Value;
  availableBytes?: UInt64Value;
  usageBytes?: UInt64Value;
  rssBytes?: UInt64Value;
}

export interface FilesystemUsage {
  timestamp: bigint;
  usedBytes?: UInt64Value;
  inodesUsed?: UInt64Value;
}

export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata; labels?: Record<string, string> };
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  writableLayer?: FilesystemUsage;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** CRI's RuntimeService, promisified. Every call rejects with a `CriError` (gRPC code and message). */
export interface RuntimeService {
  version(): Promise<VersionResponse>;
  status(): Promise<RuntimeStatus>;
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Sends the stop signal, then SIGKILL after `timeoutSeconds`. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  /** With `verbose`, the status carries the runtime's `info` (containerd: JSON with the host `pid`). */
  containerStatus(containerId: string, verbose?: boolean): Promise<ContainerStatus>;
  updateContainerResources(containerId: string, linux: LinuxContainerResources): Promise<void>;
  reopenContainerLog(containerId: string): Promise<void>;
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse>;
  exec(req: ExecRequest): Promise<StreamingUrl>;
  attach(req: AttachRequest): Promise<StreamingUrl>;
  portForward(req: PortForwardRequest): Promise<StreamingUrl>;
  containerStats(containerId: string): Promise<ContainerStats>;
  listContainerStats(filter?: { id?: string; podSandboxId?: string }): Promise<ContainerStats[]>;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  pinned?: boolean;
}

export interface FilesystemInfo {
  timestamp: bigint;
  fsId?: { mountpoint: string };
  usedBytes?: UInt64Value;
  inodesUsed?: UInt64Value;
}

/** CRI's ImageService, promisified. */
export interface ImageService {
  listImages(filter?: ImageSpec): Promise<Image[]>;
  /** Undefined when the image is not present. */
  imageStatus(image: ImageSpec): Promise<Image | undefined>;
  /** Resolves to the image reference (ID) the runtime stored. */
  pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string>;
  removeImage(image: ImageSpec): Promise<void>;
  imageFsInfo(): Promise<FilesystemInfo[]>;
}

/** A failed CRI call: the gRPC status code (5 NOT_FOUND, 2 UNKNOWN, 4 DEADLINE_EXCEEDED...) and message. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${method}: ${details}`);
    this.name = 'CriError';
  }
}
