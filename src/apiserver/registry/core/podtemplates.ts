/** v1 PodTemplate: its template's pod spec gets kube's pod spec defaults. */
import { child } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy } from '../strategy.js';

export const podTemplateStrategy: ResourceStrategy = {
  defaults: (obj) => defaultTemplate(child(obj, 'template')),
};
