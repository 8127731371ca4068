/**
 * The ServiceAccount controller (kube's serviceaccount-controller): a `default` ServiceAccount in every
 * active namespace, created again if it is deleted.
 */
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { NAMESPACES, SERVICEACCOUNTS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';

/** The service accounts every namespace gets. */
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

type NamespaceObject = Namespace & KubeObject;
type ServiceAccountObject = ServiceAccount & KubeObject;

export class ServiceAccountsController implements ManagedController {
  readonly name = 'serviceaccount-controller';
  private readonly controller: Controller;
  private namespaces!: SharedInformer<NamespaceObject>;
  private serviceAccounts!: SharedInformer<ServiceAccountObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (ns) => this.sync(ns), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.namespaces = this.ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.serviceAccounts = this.ctx.informers.informerFor<ServiceAccountObject>(SERVICEACCOUNTS);
    this.namespaces.addEventHandler(this.controller.handler((ns) => ns.metadata.name));
    this.serviceAccounts.addEventHandler({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '') && sa.metadata.namespace) this.controller.enqueue(sa.metadata.namespace);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.namespaces.waitForSync(), this.serviceAccounts.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister().get(namespace);
    // Only active namespaces get service accounts (a terminating one refuses new content anyway).
    if (!ns || ns.metadata.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    const serviceAccounts = this.ctx.client.resource<ServiceAccountObject>(SERVICEACCOUNTS).namespace(namespace);
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.serviceAccounts.lister().namespace(namespace).get(name)) continue;
      try {
        await serviceAccounts.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (err) {
        if (isAlreadyExists(err) || isNamespaceTerminating(err) || isNotFound(err)) continue;
        throw err;
      }
    }
  }
}
