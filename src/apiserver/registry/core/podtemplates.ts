/** v1 PodTemplate: its template's pod spec gets kube's pod spec defaults. */
import { child } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import type { ResourceStrategy } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validatePodTemplateSpec } from '../validation/podspec.js';
import { child as childOf } from '../defaults/fields.js';

export const podTemplateStrategy: ResourceStrategy = {
  validate: decoding((obj) => validatePodTemplateSpec(childOf(obj, 'template'), 'template')),
  validateUpdate: decoding((obj) => validatePodTemplateSpec(childOf(obj, 'template'), 'template')),
  defaults: (obj) => defaultTemplate(child(obj, 'template')),
};
