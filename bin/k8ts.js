#!/usr/bin/env node
// The k8ts command: runs the compiled CLI (build it with `npm run build`, which hack/setup.sh does).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('k8ts is not built yet: run `npm run build` (or ./hack/setup.sh) in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
await import(main.href);
