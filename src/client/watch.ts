/**
 * A watch as an async iterable of events, read line by line from the streaming answer; `stop()` ends it
 * from the client side.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject, WatchEvent } from './types.js';

export class Watch<T extends KubeObject = KubeObject> implements AsyncIterable<WatchEvent<T>> {
  private stopped = false;

  constructor(private readonly body: IncomingMessage) {}

  /** Ends the watch; the iteration finishes. */
  stop(): void {
    this.stopped = true;
    this.body.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    let pending = '';
    try {
      for await (const chunk of this.body) {
        pending += (chunk as Buffer).toString('utf8');
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
          nl = pending.indexOf('\n');
        }
      }
    } catch (err) {
      // A stopped watch's destroyed stream is the end, not a failure.
      if (!this.stopped) throw err;
    }
    const rest = pending.trim();
    if (rest && !this.stopped) yield JSON.parse(rest) as WatchEvent<T>;
  }
}
