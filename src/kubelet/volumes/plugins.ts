/** The volume plugins the node agent knows, in the one place they are registered. */
import { configMapPlugin } from './configmap.js';
import { downwardAPIPlugin } from './downward-api.js';
import { emptyDirPlugin } from './empty-dir.js';
import { hostPathPlugin } from './host-path.js';
import { persistentVolumeClaimPlugin } from './persistent-volume-claim.js';
import { projectedPlugin } from './projected.js';
import { secretPlugin } from './secret.js';
import type { VolumePlugin } from './types.js';

export const DEFAULT_VOLUME_PLUGINS: readonly VolumePlugin[] = [
  emptyDirPlugin,
  hostPathPlugin,
  configMapPlugin,
  secretPlugin,
  downwardAPIPlugin,
  projectedPlugin,
  persistentVolumeClaimPlugin,
];
