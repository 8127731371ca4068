/**
 * Turns CRI replies, as @grpc/proto-loader decodes them (int64 as decimal strings, enums as numbers, missing
 * scalars as their defaults, missing messages as null), into the shapes of types.ts: timestamps become
 * `bigint` nanoseconds (they exceed 2^53), every other 64-bit integer a `number`.
 */
import type {
  Container,
  ContainerMetadata,
  ContainerStats,
  ContainerStatus,
  CpuUsage,
  FilesystemInfo,
  FilesystemUsage,
  Image,
  ImageSpec,
  MemoryUsage,
  Mount,
  PodSandbox,
  PodSandboxMetadata,
  PodSandboxStatus,
  UInt64Value,
} from './types.js';

/** A decoded message before conversion: field values are unknown until read through the helpers below. */
export type Raw = Record<string, unknown>;

function obj(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? (v as Raw) : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** An int64/uint64 that fits a JS number (sizes, byte counts, exit codes, resources). */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

/** An int64 nanosecond timestamp, exact. */
function nanos(v: unknown): bigint {
  if (typeof v === 'string' && v !== '') return BigInt(v);
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return 0n;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : [];
}

function records(v: unknown): Raw[] {
  return Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : [];
}

/** A protobuf map<string,string>; absent maps read as `{}`. */
export function stringMap(v: unknown): Record<string, string> {
  const m = obj(v);
  const out: Record<string, string> = {};
  if (m) for (const [k, val] of Object.entries(m)) out[k] = str(val);
  return out;
}

function uint64Value(v: unknown): UInt64Value | undefined {
  const m = obj(v);
  return m ? { value: num(m.value) } : undefined;
}

function podSandboxMetadata(v: unknown): PodSandboxMetadata {
  const m = obj(v) ?? {};
  return { name: str(m.name), uid: str(m.uid), namespace: str(m.namespace), attempt: num(m.attempt) };
}

function containerMetadata(v: unknown): ContainerMetadata {
  const m = obj(v) ?? {};
  return { name: str(m.name), attempt: num(m.attempt) };
}

function imageSpec(v: unknown): ImageSpec {
  const m = obj(v) ?? {};
  return { image: str(m.image), annotations: stringMap(m.annotations) };
}

function mount(m: Raw): Mount {
  return {
    containerPath: str(m.containerPath),
    hostPath: str(m.hostPath),
    readonly: m.readonly === true,
    selinuxRelabel: m.selinuxRelabel === true,
    propagation: num(m.propagation),
  };
}

export function podSandboxStatus(v: unknown): PodSandboxStatus {
  const m = obj(v) ?? {};
  const network = obj(m.network);
  return {
    id: str(m.id),
    metadata: podSandboxMetadata(m.metadata),
    state: num(m.state),
    createdAt: nanos(m.createdAt),
    network: network
      ? { ip: str(network.ip), additionalIps: records(network.additionalIps).map((p) => ({ ip: str(p.ip) })) }
      : undefined,
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
  };
}

export function podSandbox(m: Raw): PodSandbox {
  return {
    id: str(m.id),
    metadata: podSandboxMetadata(m.metadata),
    state: num(m.state),
    createdAt: nanos(m.createdAt),
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
  };
}

export function container(m: Raw): Container {
  return {
    id: str(m.id),
    podSandboxId: str(m.podSandboxId),
    metadata: containerMetadata(m.metadata),
    image: imageSpec(m.image),
    imageRef: str(m.imageRef),
    state: num(m.state),
    createdAt: nanos(m.createdAt),
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
  };
}

export function containerStatus(v: unknown): ContainerStatus {
  const m = obj(v) ?? {};
  return {
    id: str(m.id),
    metadata: containerMetadata(m.metadata),
    state: num(m.state),
    createdAt: nanos(m.createdAt),
    startedAt: nanos(m.startedAt),
    finishedAt: nanos(m.finishedAt),
    exitCode: num(m.exitCode),
    image: imageSpec(m.image),
    imageRef: str(m.imageRef),
    reason: str(m.reason),
    message: str(m.message),
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
    mounts: records(m.mounts).map(mount),
    logPath: str(m.logPath),
  };
}

function cpuUsage(v: unknown): CpuUsage | undefined {
  const m = obj(v);
  if (!m) return undefined;
  return {
    timestamp: nanos(m.timestamp),
    usageCoreNanoSeconds: uint64Value(m.usageCoreNanoSeconds),
    usageNanoCores: uint64Value(m.usageNanoCores),
  };
}

function memoryUsage(v: unknown): MemoryUsage | undefined {
  const m = obj(v);
  if (!m) return undefined;
  return {
    timestamp: nanos(m.timestamp),
    workingSetBytes: uint64Value(m.workingSetBytes),
    availableBytes: uint64Value(m.availableBytes),
    usageBytes: uint64Value(m.usageBytes),
    rssBytes: uint64Value(m.rssBytes),
  };
}

function filesystemUsage(v: unknown): FilesystemUsage | undefined {
  const m = obj(v);
  if (!m) return undefined;
  return { timestamp: nanos(m.timestamp), usedBytes: uint64Value(m.usedBytes), inodesUsed: uint64Value(m.inodesUsed) };
}

export function containerStats(v: unknown): ContainerStats {
  const m = obj(v) ?? {};
  const attributes = obj(m.attributes) ?? {};
  return {
    attributes: {
      id: str(attributes.id),
      metadata: containerMetadata(attributes.metadata),
      labels: stringMap(attributes.labels),
    },
    cpu: cpuUsage(m.cpu),
    memory: memoryUsage(m.memory),
    writableLayer: filesystemUsage(m.writableLayer),
  };
}

export function image(m: Raw): Image {
  return {
    id: str(m.id),
    repoTags: strings(m.repoTags),
    repoDigests: strings(m.repoDigests),
    size: num(m.size),
    pinned: m.pinned === true,
  };
}

export function filesystemInfo(m: Raw): FilesystemInfo {
  const fsId = obj(m.fsId);
  return {
    timestamp: nanos(m.timestamp),
    fsId: fsId ? { mountpoint: str(fsId.mountpoint) } : undefined,
    usedBytes: uint64Value(m.usedBytes),
    inodesUsed: uint64Value(m.inodesUsed),
  };
}

export { obj as message, records as messages, str as string, num as number, strings };
