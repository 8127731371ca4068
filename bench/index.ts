/**
 * `npm run bench -- <suite...>`: runs benchmark suites, prints a table and writes JSON under bench/results/.
 * Benchmarks measure; they never fail a build. The targets of the issues are checked and reported in the table.
 */
import { printTable, writeResults, type BenchRow, type Check } from './report.js';
import { storageBench } from './storage.js';
import { apiserverBench } from './apiserver.js';
import { schedulerBench } from './scheduler.js';
import { controllersBench } from './controllers.js';
import { kubeletBench } from './kubelet.js';

const suites: Record<string, (log: (s: string) => void) => Promise<{ rows: BenchRow[]; checks: Check[] }>> = {
  storage: storageBench,
  apiserver: apiserverBench,
  scheduler: schedulerBench,
  controllers: controllersBench,
  kubelet: kubeletBench,
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(suites);
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown bench suite ${JSON.stringify(name)}; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  const log = (s: string) => process.stderr.write(`[bench ${name}] ${s}\n`);
  const { rows, checks } = await suite(log);
  console.log(printTable(rows, checks));
  log(`results written to ${writeResults(name, rows, checks)}`);
}
