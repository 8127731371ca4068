/** The node agent's volumes: the manager, the plugins and the helpers the container runtime manager uses. */
export { VolumeManager, VolumeSetUpError, type VolumeFailure, type VolumeManagerOptions } from './manager.js';
export { resolveSubPath, type SubPathOwner } from './subpath.js';
export { AtomicWriter } from './atomic-writer.js';
export { SystemMounter, type Mounter } from './mount.js';
export { TokenManager } from './token-manager.js';
export { DEFAULT_VOLUME_PLUGINS } from './plugins.js';
export { VolumeError, type MountedVolume, type TokenRequester, type VolumeHost, type VolumePlugin } from './types.js';
