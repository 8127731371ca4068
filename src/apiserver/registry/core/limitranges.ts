/** v1 LimitRange: SetDefaults_LimitRangeItem, so what LimitRanger applies is visible on the object. */
import { formatQuantity } from '../../admission/quantity-usage.js';
import { limitItems } from '../../admission/limit-ranger.js';
import { isFields, items } from '../defaults/fields.js';
import type { ResourceStrategy } from '../strategy.js';

export const limitRangeStrategy: ResourceStrategy = {
  defaults(obj) {
    if (!isFields(obj.spec)) return;
    const raw = items(obj.spec, 'limits');
    const parsed = limitItems(obj);
    raw.forEach((item, i) => {
      if (item.type !== 'Container') return;
      const p = parsed[i]!;
      for (const field of ['default', 'defaultRequest'] as const) {
        const list = isFields(item[field]) ? (item[field] as Record<string, unknown>) : {};
        for (const [k, v] of p[field]) if (list[k] === undefined) list[k] = formatQuantity(v);
        if (Object.keys(list).length > 0) item[field] = list;
      }
    });
  },
};
