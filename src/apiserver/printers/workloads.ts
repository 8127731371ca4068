/** Columns shared by the workload printers (deployments, replicasets, statefulsets, daemonsets). */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { selectorString } from '../registry/scale.js';
import { column } from './columns.js';

export const CONTAINERS_COLUMN = column('Containers', 'string', 'Names of each container in the template.', 1);
export const IMAGES_COLUMN = column('Images', 'string', 'Images referenced by each container in the template.', 1);
export const SELECTOR_COLUMN = column('Selector', 'string', 'Label selector for the pods.', 1);

/** The Containers, Images and Selector cells of a workload. */
export function templateCells(template: PodTemplateSpec | undefined, selector: LabelSelector | undefined): [string, string, string] {
  const containers = template?.spec?.containers ?? [];
  return [
    containers.map((c) => c.name).join(','),
    containers.map((c) => c.image ?? '').join(','),
    selectorString(selector, false) || '<none>',
  ];
}
