/**
 * The exec probe (kube's pkg/probe/exec over the CRI's ExecSync): exit code 0 is success, any other a failure
 * whose output is the command's stdout and stderr (at most 10 KiB); a command still running at timeoutSeconds
 * is a failure (`command "sleep 10" timed out`, the ExecProbeTimeout behaviour); a runtime that cannot run it
 * at all is an error. The command sees no pod environment; only `$(VAR)` references to the container's own
 * env entries are expanded, as kube's ExpandContainerCommandOnlyStatic does.
 */
import type { EnvVar } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/types.js';
import { CriError } from '../cri/types.js';
import type { ProbeActionOutcome } from './types.js';

/** The most of the command's output the prober keeps. */
export const MAX_EXEC_OUTPUT = 10 * 1024;

/** gRPC's DEADLINE_EXCEEDED, what the CRI answers when ExecSync ran out of time. */
const DEADLINE_EXCEEDED = 4;

/**
 * Expands `$(VAR)` in each argument from the container's env entries (valueFrom entries expand to ''),
 * `$$` escapes a `$`, and an unknown `$(VAR)` stays as written: Kubernetes' expansion rules.
 */
export function expandCommand(command: string[], env: EnvVar[] | undefined): string[] {
  const values = new Map<string, string>();
  for (const e of env ?? []) values.set(e.name, e.value ?? '');
  return command.map((arg) => {
    let out = '';
    for (let i = 0; i < arg.length; i++) {
      const ch = arg[i]!;
      if (ch !== '$' || i + 1 >= arg.length) {
        out += ch;
        continue;
      }
      const next = arg[i + 1]!;
      if (next === '$') {
        out += '$';
        i++;
      } else if (next === '(') {
        const close = arg.indexOf(')', i + 2);
        if (close < 0) {
          out += arg.slice(i);
          break;
        }
        const name = arg.slice(i + 2, close);
        out += values.has(name) ? values.get(name)! : `$(${name})`;
        i = close;
      } else {
        out += ch;
      }
    }
    return out;
  });
}

/** Runs `command` in the container through the runtime's ExecSync and judges it by its exit code. */
export async function probeExec(
  runtime: Pick<RuntimeService, 'execSync'>,
  containerId: string,
  command: string[],
  timeoutSeconds: number,
): Promise<ProbeActionOutcome> {
  const timedOut: ProbeActionOutcome = { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  let timer: NodeJS.Timeout | undefined;
  // The runtime enforces the timeout too; this guard keeps a runtime that never answers from stalling probes.
  const deadline = new Promise<ProbeActionOutcome>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), timeoutSeconds * 1000);
  });
  const run = (async (): Promise<ProbeActionOutcome> => {
    try {
      const res = await runtime.execSync(containerId, command, timeoutSeconds);
      const output = Buffer.concat([res.stdout ?? Buffer.alloc(0), res.stderr ?? Buffer.alloc(0)])
        .subarray(0, MAX_EXEC_OUTPUT)
        .toString('utf8');
      return { result: res.exitCode === 0 ? 'success' : 'failure', output };
    } catch (err) {
      if (err instanceof CriError && (err.code === DEADLINE_EXCEEDED || /timeout .*exceeded/i.test(err.details))) {
        return timedOut;
      }
      return { result: 'unknown', output: '', error: err instanceof Error ? err : new Error(String(err)) };
    }
  })();
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
