/** discovery.k8s.io/v1 EndpointSlice: kube's port defaults. */
import { items, setDefault } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';

/** SetDefaults_EndpointPort: an unnamed port's name is "", its protocol TCP. */
export function defaultEndpointSlice(obj: StoredObject): void {
  for (const port of items(obj, 'ports')) {
    setDefault(port, 'name', '');
    setDefault(port, 'protocol', 'TCP');
  }
}

export const endpointSliceStrategy: ResourceStrategy = { defaults: defaultEndpointSlice };
