/**
 * Image garbage collection (the kubelet's image GC manager): when the image filesystem is more than
 * `highThresholdPercent` full, images no container uses are removed, least recently used first and none
 * younger than `minAge`, until usage is back under `lowThresholdPercent`.
 */
import type { Logger } from 'pino';
import type { ImageService, RuntimeService } from '../cri/types.js';

export interface ImageGCPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

/** kubelet's defaults: --image-gc-high-threshold 85, --image-gc-low-threshold 80, --minimum-image-ttl-duration 2m. */
export const DEFAULT_IMAGE_GC_POLICY: ImageGCPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 };

export interface ImageFsUsage {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGCOptions {
  runtime: Pick<RuntimeService, 'listContainers'>;
  images: Pick<ImageService, 'listImages' | 'removeImage'>;
  /** The image filesystem's size and free space. */
  fsUsage(): Promise<ImageFsUsage>;
  policy?: ImageGCPolicy;
  /** Never removed (the sandbox image). */
  pinned?: readonly string[];
  now?: () => number;
  logger: Logger;
}

interface ImageRecord {
  firstSeenMs: number;
  lastUsedMs: number;
}

export class ImageGCManager {
  private readonly records = new Map<string, ImageRecord>();
  private readonly policy: ImageGCPolicy;
  private readonly now: () => number;

  constructor(private readonly o: ImageGCOptions) {
    this.policy = o.policy ?? DEFAULT_IMAGE_GC_POLICY;
    this.now = o.now ?? Date.now;
  }

  /** Notes which images are present and in use now (kube's detectImages). Resolves to the images in use. */
  async detectImages(): Promise<Set<string>> {
    const now = this.now();
    const [images, containers] = await Promise.all([this.o.images.listImages(), this.o.runtime.listContainers()]);
    const inUse = new Set<string>();
    for (const c of containers) {
      inUse.add(c.imageRef);
      inUse.add(c.image?.image ?? '');
    }
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.id);
      const rec = this.records.get(img.id) ?? { firstSeenMs: now, lastUsedMs: 0 };
      if (inUse.has(img.id) || img.repoTags.some((t) => inUse.has(t)) || img.repoDigests.some((d) => inUse.has(d))) rec.lastUsedMs = now;
      this.records.set(img.id, rec);
    }
    for (const id of this.records.keys()) if (!present.has(id)) this.records.delete(id);
    return inUse;
  }

  /** One round: frees space if the image filesystem is over the high threshold. Resolves to the bytes freed. */
  async garbageCollect(): Promise<number> {
    const fs = await this.o.fsUsage();
    if (fs.capacityBytes <= 0) return 0;
    const usagePercent = 100 - (fs.availableBytes * 100) / fs.capacityBytes;
    await this.detectImages();
    if (usagePercent < this.policy.highThresholdPercent) return 0;
    const amountToFree = (fs.capacityBytes * (100 - this.policy.lowThresholdPercent)) / 100 - fs.availableBytes;
    const now = this.now();
    const pinned = new Set(this.o.pinned ?? []);
    const images = (await this.o.images.listImages())
      .filter((img) => !img.pinned && !img.repoTags.some((t) => pinned.has(t)))
      .map((img) => ({ img, rec: this.records.get(img.id)! }))
      .filter(({ rec }) => rec && rec.lastUsedMs < now && now - rec.firstSeenMs >= this.policy.minAgeMs)
      .filter(({ rec }) => rec.lastUsedMs !== now)
      .sort((a, b) => a.rec.lastUsedMs - b.rec.lastUsedMs || a.rec.firstSeenMs - b.rec.firstSeenMs);
    let freed = 0;
    for (const { img } of images) {
      if (freed >= amountToFree) break;
      try {
        await this.o.images.removeImage({ image: img.id });
        freed += img.size;
        this.records.delete(img.id);
        this.o.logger.info({ image: img.repoTags[0] ?? img.id, bytes: img.size }, 'removed unused image');
      } catch (err) {
        this.o.logger.warn({ err, image: img.id }, 'image removal failed');
      }
    }
    if (freed < amountToFree) {
      this.o.logger.warn({ usagePercent: Math.round(usagePercent), amountToFree, freed }, 'image garbage collection could not free enough space');
    }
    return freed;
  }
}
