/** coordination.k8s.io/v1 Lease: the HOLDER column. */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';
import type { ResourceStrategy } from '../strategy.js';
import { validateLease } from '../validation/cluster.js';

export const leaseStrategy: ResourceStrategy = {
  validate: (obj) => validateLease(obj),
  validateUpdate: (obj) => validateLease(obj),
  table: {
    columns: [NAME_COLUMN, column('Holder', 'string', 'The identity currently holding the lease.'), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata?.name ?? '', (obj as Lease).spec?.holderIdentity ?? '', age(obj, now)],
  },
};
