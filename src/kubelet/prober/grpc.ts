/**
 * The grpc probe (kube's pkg/probe/grpc): `grpc.health.v1.Health/Check` with the probe's service name over
 * plaintext HTTP/2, waiting for the connection (like grpc-go's WithBlock) and the answer within timeoutSeconds.
 * SERVING is success; anything else, including an error, is a failure worded as kube words it.
 *
 * The two health messages are one field each, so they are encoded by hand here rather than through a
 * .proto: HealthCheckRequest { string service = 1; } and HealthCheckResponse { ServingStatus status = 1; }.
 */
import * as grpc from '@grpc/grpc-js';
import { goDuration, joinHostPort } from './errors.js';
import { PROBE_USER_AGENT } from './http.js';
import type { ProbeActionOutcome } from './types.js';

const CHECK_METHOD = '/grpc.health.v1.Health/Check';

/** grpc.health.v1.HealthCheckResponse.ServingStatus names by number. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** grpc-go's names for status codes, which kube's messages print (`rpc error: code = Unavailable desc = ...`). */
const GO_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented',
  'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** grpc.health.v1.HealthCheckRequest. */
export interface HealthCheckRequest {
  service: string;
}

/** grpc.health.v1.HealthCheckResponse (status: a ServingStatus number). */
export interface HealthCheckResponse {
  status: number;
}

/** Encodes a HealthCheckRequest. */
export function encodeHealthCheckRequest({ service }: HealthCheckRequest): Buffer {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(bytes.length)]), bytes]);
}

/** Decodes a HealthCheckRequest. */
export function decodeHealthCheckRequest(buf: Buffer): HealthCheckRequest {
  let service = '';
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 2) service = (value as Buffer).toString('utf8');
  });
  return { service };
}

/** Encodes a HealthCheckResponse with a ServingStatus number. */
export function encodeHealthCheckResponse({ status }: HealthCheckResponse): Buffer {
  return status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...encodeVarint(status)]);
}

/** Decodes a HealthCheckResponse (status 0, UNKNOWN, when absent). */
export function decodeHealthCheckResponse(buf: Buffer): HealthCheckResponse {
  let status = 0;
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 0) status = value as number;
  });
  return { status };
}

/** Walks a protobuf message's fields, skipping what it does not know. */
function forEachField(buf: Buffer, fn: (field: number, wire: number, value: number | Buffer) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    let key: number;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let v: number;
      [v, pos] = readVarint(buf, pos);
      fn(field, wire, v);
    } else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(buf, pos);
      fn(field, wire, buf.subarray(pos, pos + len));
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Asks host:port's grpc.health.v1.Health service about `service` ('' = the server as a whole). */
export function probeGRPC(host: string, port: number, service: string, timeoutSeconds: number): Promise<ProbeActionOutcome> {
  const addr = joinHostPort(host, port);
  const timeout = goDuration(timeoutSeconds);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': PROBE_USER_AGENT,
    // One connection per probe, never retried behind the prober's back.
    'grpc.enable_retries': 0,
    'grpc.use_local_subchannel_pool': 1,
  });
  return new Promise<ProbeActionOutcome>((resolve) => {
    client.waitForReady(deadline, (err) => {
      if (err) {
        resolve({
          result: 'failure',
          output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${timeout}: context deadline exceeded`,
        });
        return;
      }
      client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        CHECK_METHOD,
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        { service },
        new grpc.Metadata(),
        { deadline },
        (callErr, response) => {
          if (callErr) {
            if (callErr.code === grpc.status.UNIMPLEMENTED) {
              resolve({
                result: 'failure',
                output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${callErr.details}`,
              });
            } else if (callErr.code === grpc.status.DEADLINE_EXCEEDED) {
              resolve({ result: 'failure', output: `timeout: health rpc did not complete within ${timeout}` });
            } else {
              const code = GO_CODE_NAMES[callErr.code] ?? `Code(${callErr.code})`;
              resolve({
                result: 'failure',
                output: `error: health rpc probe failed: rpc error: code = ${code} desc = ${callErr.details}`,
              });
            }
            return;
          }
          const s = response?.status ?? 0;
          if (s !== 1) {
            const name = SERVING_STATUS[s] ?? String(s);
            resolve({ result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(name)})` });
            return;
          }
          resolve({ result: 'success', output: 'service healthy' });
        },
      );
    });
  }).finally(() => client.close());
}
