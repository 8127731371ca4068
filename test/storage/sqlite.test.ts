import { join } from 'node:path';
import { SQLiteStore } from '../../src/storage/sqlite/store.js';
import { storeConformance } from '../../src/storage/testing/conformance.js';
import { tempDir } from '../helpers/tmp.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let n = 0;

storeConformance('sqlite', {
  setup: async () => {
    dir = await tempDir('k8ts-sqlite-');
  },
  teardown: async () => dir.remove(),
  open: async (opts) => SQLiteStore.open({ path: join(dir.path, `db-${n++}`, 'state.db'), ...opts }),
});
