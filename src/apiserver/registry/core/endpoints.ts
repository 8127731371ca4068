/** v1 Endpoints: the ENDPOINTS column (the first three ip:port pairs). */
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import { child, items, setDefaultString } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';

/** SetDefaults_Endpoints: each port's protocol TCP. */
export function defaultEndpoints(obj: StoredObject): void {
  for (const subset of items(obj, 'subsets')) for (const port of items(subset, 'ports')) setDefaultString(port, 'protocol', 'TCP');
}

const SHOWN = 3;

/** `ip:port` for every address and port (just `ip` in a subset without ports), the first three and `+ N more...`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const all: string[] = [];
  for (const subset of subsets) {
    const ips = (subset.addresses ?? []).map((a) => a.ip);
    const ports = subset.ports ?? [];
    if (ports.length === 0) all.push(...ips);
    for (const port of ports) all.push(...ips.map((ip) => (ip.includes(':') ? `[${ip}]:${port.port}` : `${ip}:${port.port}`)));
  }
  const shown = all.slice(0, SHOWN).join(',');
  return all.length > SHOWN ? `${shown} + ${all.length - SHOWN} more...` : shown;
}

export const endpointsStrategy: ResourceStrategy = {
  defaults: defaultEndpoints,
  table: {
    columns: [NAME_COLUMN, column('Endpoints', 'string', 'The addresses and ports of the ready backends.'), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata?.name ?? '', formatEndpoints(obj as Endpoints), age(obj, now)],
  },
};
