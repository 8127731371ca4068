/**
 * The tcpSocket probe (kube's pkg/probe/tcp): success when a TCP connection opens within timeoutSeconds;
 * the connection is closed at once. The connection is made from the node, not inside the pod.
 */
import { connect } from 'node:net';
import { goNetError, joinHostPort } from './errors.js';
import type { ProbeActionOutcome } from './types.js';

/** Opens and closes a TCP connection to host:port. */
export function probeTCP(host: string, port: number, timeoutSeconds: number): Promise<ProbeActionOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: ProbeActionOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect({ host, port });
    const timer = setTimeout(
      () => finish({ result: 'failure', output: `dial tcp ${joinHostPort(host, port)}: i/o timeout` }),
      timeoutSeconds * 1000,
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err) => finish({ result: 'failure', output: goNetError(err, host, port) }));
  });
}
