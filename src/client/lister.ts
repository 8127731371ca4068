/** Listers: read-only, selector-aware views of an informer's store (client-go's generated listers). */
import { everything, parseLabelSelector, type LabelSelector } from '../apimachinery/labels.js';
import { NAMESPACE_INDEX, type Indexer } from './indexer.js';
import type { KubeObject } from './types.js';

function selectorOf(selector: string | LabelSelector | undefined): LabelSelector {
  if (selector === undefined) return everything();
  return typeof selector === 'string' ? parseLabelSelector(selector) : selector;
}

export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** Every object (across namespaces) whose labels match. */
  list(selector?: string | LabelSelector): T[] {
    const sel = selectorOf(selector);
    return this.indexer.list().filter((o) => sel.empty() || sel.matches(o.metadata.labels ?? {}));
  }

  /** A cluster-scoped object by name. */
  get(name: string): T | undefined {
    return this.indexer.get(name);
  }

  /** The view of one namespace. */
  namespace(ns: string): NamespaceLister<T> {
    return new NamespaceLister(this.indexer, ns);
  }
}

export class NamespaceLister<T extends KubeObject = KubeObject> {
  constructor(
    private readonly indexer: Indexer<T>,
    private readonly ns: string,
  ) {}

  list(selector?: string | LabelSelector): T[] {
    const sel = selectorOf(selector);
    return this.indexer.byIndex(NAMESPACE_INDEX, this.ns).filter((o) => sel.empty() || sel.matches(o.metadata.labels ?? {}));
  }

  get(name: string): T | undefined {
    return this.indexer.get(`${this.ns}/${name}`);
  }
}
