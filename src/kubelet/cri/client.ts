/**
 * A CRI v1 client over a container runtime's unix socket (containerd's `runtime.v1.RuntimeService` and
 * `runtime.v1.ImageService`), implementing the promisified interfaces of types.ts. Every call has a deadline
 * (pulls 2 minutes, others 30 seconds, ExecSync its own timeout plus a margin) and fails with a `CriError`
 * carrying the gRPC status code, so callers can tell NOT_FOUND from UNAVAILABLE.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as decode from './decode.js';
import {
  CriError,
  type AttachRequest,
  type AuthConfig,
  type ContainerConfig,
  type ContainerFilter,
  type ExecRequest,
  type ImageService,
  type ImageSpec,
  type LinuxContainerResources,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PortForwardRequest,
  type RuntimeService,
} from './types.js';

/** An open connection to a runtime's CRI socket. */
export interface CriConnection {
  runtime: RuntimeService;
  images: ImageService;
  /** Closes the gRPC channels; calls after this fail. */
  close(): void;
}

export interface CriOptions {
  /** Deadline of ordinary calls in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Deadline of image pulls in milliseconds (default 2 min). */
  pullTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PULL_TIMEOUT_MS = 120_000;
/** ExecSync is bounded by the runtime's own timeout; the deadline leaves room for the reply to come back. */
const EXEC_SYNC_MARGIN_MS = 10_000;
/** ExecSync replies carry up to 16 MiB of stdout and of stderr each (CRI caps them there). */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

type Callback = (err: grpc.ServiceError | null, res?: unknown) => void;
type UnaryMethod = (req: object, metadata: grpc.Metadata, options: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type ServiceClient = grpc.Client & Record<string, unknown>;
type ServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ServiceClient;

/** api.proto sits beside this module in src/; the compiled module in dist/src/ reads it from the source tree. */
function protoPath(): string {
  const candidates = [
    fileURLToPath(new URL('./api.proto', import.meta.url)),
    fileURLToPath(new URL('../../../../src/kubelet/cri/api.proto', import.meta.url)),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`CRI api.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

let services: { runtime: ServiceConstructor; image: ServiceConstructor } | undefined;

function loadServices(): { runtime: ServiceConstructor; image: ServiceConstructor } {
  if (services) return services;
  const definition = protoLoader.loadSync(protoPath(), {
    keepCase: false,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: ServiceConstructor; ImageService: ServiceConstructor } };
  };
  services = { runtime: root.runtime.v1.RuntimeService, image: root.runtime.v1.ImageService };
  return services;
}

/** `unix:///run/x.sock`, `unix:/run/x.sock` or a bare `/run/x.sock` -> the gRPC target grpc-js dials. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix://${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('unix:')) return `unix://${endpoint.slice('unix:'.length)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/** One unary call with a deadline; errors become `CriError(method, code, details)`. */
function unary(client: ServiceClient, method: string, req: object, timeoutMs: number): Promise<decode.Raw> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as UnaryMethod | undefined;
    if (typeof fn !== 'function') {
      reject(new CriError(method, grpc.status.UNIMPLEMENTED, `method ${method} is not in api.proto`));
      return;
    }
    const deadline = new Date(Date.now() + timeoutMs);
    fn.call(client, req, new grpc.Metadata(), { deadline }, (err, res) => {
      if (err) {
        reject(isServiceError(err) ? new CriError(method, err.code, err.details || err.message) : new CriError(method, grpc.status.UNKNOWN, String(err)));
        return;
      }
      resolve(decode.message(res) ?? {});
    });
  });
}

/** Connects to a CRI runtime; the channel is dialled lazily, so an absent socket shows up as UNAVAILABLE per call. */
export function connectCri(endpoint: string, opts: CriOptions = {}): CriConnection {
  const { runtime: RuntimeClient, image: ImageClient } = loadServices();
  const target = grpcTarget(endpoint);
  const channelOptions: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // containerd does not check the authority; a fixed one keeps the socket path out of HTTP/2 headers.
    'grpc.default_authority': 'localhost',
    // A local socket: after a containerd restart, reconnect within a couple of seconds rather than after
    // grpc's default back-off, which grows to two minutes while the runtime is down.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
  };
  const credentials = grpc.credentials.createInsecure();
  const rt = new RuntimeClient(target, credentials, channelOptions);
  const img = new ImageClient(target, credentials, channelOptions);
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pullTimeout = opts.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  const r = (method: string, req: object, ms = timeout): Promise<decode.Raw> => unary(rt, method, req, ms);
  const i = (method: string, req: object, ms = timeout): Promise<decode.Raw> => unary(img, method, req, ms);

  const runtime: RuntimeService = {
    async version() {
      const res = await r('Version', { version: 'v1' });
      return {
        version: decode.string(res.version),
        runtimeName: decode.string(res.runtimeName),
        runtimeVersion: decode.string(res.runtimeVersion),
        runtimeApiVersion: decode.string(res.runtimeApiVersion),
      };
    },
    async status() {
      const res = await r('Status', {});
      const status = decode.message(res.status) ?? {};
      return {
        conditions: decode.messages(status.conditions).map((c) => ({
          type: decode.string(c.type),
          status: c.status === true,
          reason: decode.string(c.reason),
          message: decode.string(c.message),
        })),
      };
    },
    async runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string) {
      // Sandbox creation includes CNI setup and, the first time, pulling the sandbox image.
      const res = await r('RunPodSandbox', { config, runtimeHandler: runtimeHandler ?? '' }, Math.max(timeout, pullTimeout));
      return decode.string(res.podSandboxId);
    },
    async stopPodSandbox(podSandboxId: string) {
      await r('StopPodSandbox', { podSandboxId });
    },
    async removePodSandbox(podSandboxId: string) {
      await r('RemovePodSandbox', { podSandboxId });
    },
    async podSandboxStatus(podSandboxId: string) {
      const res = await r('PodSandboxStatus', { podSandboxId, verbose: false });
      return decode.podSandboxStatus(res.status);
    },
    async listPodSandbox(filter?: PodSandboxFilter) {
      const res = await r('ListPodSandbox', filter ? { filter } : {});
      return decode.messages(res.items).map(decode.podSandbox);
    },
    async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig) {
      const res = await r('CreateContainer', { podSandboxId, config, sandboxConfig });
      return decode.string(res.containerId);
    },
    async startContainer(containerId: string) {
      await r('StartContainer', { containerId });
    },
    async stopContainer(containerId: string, timeoutSeconds: number) {
      // The runtime waits up to the grace period before SIGKILL; the call must outlive it.
      await r('StopContainer', { containerId, timeout: timeoutSeconds }, timeout + timeoutSeconds * 1000);
    },
    async removeContainer(containerId: string) {
      await r('RemoveContainer', { containerId });
    },
    async listContainers(filter?: ContainerFilter) {
      const res = await r('ListContainers', filter ? { filter } : {});
      return decode.messages(res.containers).map(decode.container);
    },
    async containerStatus(containerId: string, verbose = false) {
      const res = await r('ContainerStatus', { containerId, verbose });
      const status = decode.containerStatus(res.status);
      if (verbose) status.info = decode.stringMap(res.info);
      return status;
    },
    async updateContainerResources(containerId: string, linux: LinuxContainerResources) {
      await r('UpdateContainerResources', { containerId, linux });
    },
    async reopenContainerLog(containerId: string) {
      await r('ReopenContainerLog', { containerId });
    },
    async execSync(containerId: string, cmd: string[], timeoutSeconds: number) {
      const ms = timeoutSeconds > 0 ? timeoutSeconds * 1000 + EXEC_SYNC_MARGIN_MS : Math.max(timeout, 5 * 60_000);
      const res = await r('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, ms);
      return {
        stdout: Buffer.isBuffer(res.stdout) ? res.stdout : Buffer.alloc(0),
        stderr: Buffer.isBuffer(res.stderr) ? res.stderr : Buffer.alloc(0),
        exitCode: decode.number(res.exitCode),
      };
    },
    async exec(req: ExecRequest) {
      const res = await r('Exec', req);
      return { url: decode.string(res.url) };
    },
    async attach(req: AttachRequest) {
      const res = await r('Attach', req);
      return { url: decode.string(res.url) };
    },
    async portForward(req: PortForwardRequest) {
      const res = await r('PortForward', req);
      return { url: decode.string(res.url) };
    },
    async containerStats(containerId: string) {
      const res = await r('ContainerStats', { containerId });
      return decode.containerStats(res.stats);
    },
    async listContainerStats(filter?: { id?: string; podSandboxId?: string }) {
      const res = await r('ListContainerStats', filter ? { filter } : {});
      return decode.messages(res.stats).map((s) => decode.containerStats(s));
    },
  };

  const images: ImageService = {
    async listImages(filter?: ImageSpec) {
      const res = await i('ListImages', filter ? { filter: { image: filter } } : {});
      return decode.messages(res.images).map(decode.image);
    },
    async imageStatus(image: ImageSpec) {
      const res = await i('ImageStatus', { image, verbose: false });
      const found = decode.message(res.image);
      return found ? decode.image(found) : undefined;
    },
    async pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig) {
      const res = await i('PullImage', { image, auth, sandboxConfig }, pullTimeout);
      return decode.string(res.imageRef);
    },
    async removeImage(image: ImageSpec) {
      await i('RemoveImage', { image });
    },
    async imageFsInfo() {
      const res = await i('ImageFsInfo', {});
      return decode.messages(res.imageFilesystems).map(decode.filesystemInfo);
    },
  };

  return {
    runtime,
    images,
    close() {
      rt.close();
      img.close();
    },
  };
}
