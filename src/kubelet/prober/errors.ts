/**
 * Failure texts worded as the Go kubelet's net stack words them, so a probe failure reads the same in
 * `kubectl describe pod` as on a real node (`dial tcp 10.0.0.5:8080: connect: connection refused`).
 */
import { isIPv6 } from 'node:net';

/** `host:port`, with brackets around an IPv6 address (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A Go duration for whole or fractional seconds: `1s`, `1.5s`, `1m30s`. */
export function goDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

/** Node's error for a failed connect or exchange, as Go's dialer/reader would phrase it. */
export function goNetError(err: unknown, host: string, port: number): string {
  const hp = joinHostPort(host, port);
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hp}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hp}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hp}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${hp}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'ECONNRESET':
      // Node says "socket hang up" when the peer closed before answering; Go's client sees an EOF.
      return e.message === 'socket hang up' ? 'EOF' : `read tcp ${hp}: read: connection reset by peer`;
    case 'EPIPE':
      return `write tcp ${hp}: write: broken pipe`;
    default:
      return `dial tcp ${hp}: ${e?.message ?? String(err)}`;
  }
}
