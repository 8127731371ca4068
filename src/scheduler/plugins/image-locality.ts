/**
 * ImageLocality (Score): favours nodes that already have the pod's images, weighted by image size and by how
 * widely the image is spread (so one node holding a popular image does not attract every pod).
 */
import { MAX_NODE_SCORE, type CycleState, type Handle, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';

export const NAME = 'ImageLocality';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** An image name with `:latest` added when it has no tag, as node status lists it. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** Scores nodes by the images they already hold. */
export class ImageLocality implements ScorePlugin {
  readonly name = NAME;
  constructor(private readonly handle: Handle) {}

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const spec = pod.pod.spec;
    const numContainers = (spec?.initContainers?.length ?? 0) + (spec?.containers?.length ?? 0);
    // A node without images scores 0 (below the minimum threshold); most nodes of a fresh cluster are like that.
    if (node.imageStates.size === 0 || numContainers === 0) return 0;
    const total = this.handle.snapshot().numNodes();
    let sum = 0;
    const add = (image: string | undefined): void => {
      const st = image ? node.imageStates.get(normalizedImageName(image)) : undefined;
      if (st) sum += Math.trunc(st.size * (st.numNodes / total));
    };
    for (const c of spec?.initContainers ?? []) add(c.image);
    for (const c of spec?.containers ?? []) add(c.image);
    const max = MAX_CONTAINER_THRESHOLD * numContainers;
    sum = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    return Math.trunc((MAX_NODE_SCORE * (sum - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
  }
}
