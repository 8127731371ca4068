/**
 * The CRI log reader and the log rotator on real files: PodLogOptions (tail, since, timestamps, limitBytes),
 * partial lines, follow across a rotation, and rotation with ReopenContainerLog.
 */
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { formatCRILogLine, parseCRILogLine, parseRFC3339Nano } from '../../src/kubelet/logs/cri-log.js';
import { readContainerLogs, type ContainerLogOptions, type FollowOptions } from '../../src/kubelet/logs/reader.js';
import { ContainerLogRotator } from '../../src/kubelet/logs/rotator.js';
import { componentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

async function read(path: string, opts: ContainerLogOptions, follow?: FollowOptions): Promise<string> {
  const chunks: Buffer[] = [];
  await readContainerLogs(path, opts, { write: async (c) => void chunks.push(c) }, follow);
  return Buffer.concat(chunks).toString();
}

describe('CRI container logs', () => {
  let dir: { path: string; remove(): Promise<void> };
  let log: string;

  before(async () => {
    dir = await tempDir('k8ts-logs-');
    log = join(dir.path, '0.log');
    await writeFile(
      log,
      formatCRILogLine(at(0), 'stdout', 'one') +
        formatCRILogLine(at(1), 'stderr', 'two') +
        formatCRILogLine(at(2), 'stdout', 'thr', true) +
        formatCRILogLine(at(2), 'stdout', 'ee') +
        'not a cri line\n' +
        formatCRILogLine(at(3), 'stdout', 'four'),
    );
  });
  after(() => dir.remove());

  test('parses records and normalizes their timestamps', () => {
    const r = parseCRILogLine(Buffer.from('2026-11-25T11:00:00.5+01:00 stderr P half'));
    assert.ok(r);
    assert.equal(r.stream, 'stderr');
    assert.equal(r.full, false);
    assert.equal(r.content.toString(), 'half');
    assert.equal(r.timestamp, '2026-11-25T10:00:00.500000000Z');
    assert.equal(parseCRILogLine(Buffer.from('garbage')), undefined);
    assert.equal(parseRFC3339Nano('2026-11-25T10:00:00.123456789Z')?.timestamp, '2026-11-25T10:00:00.123456789Z');
  });

  test('reads every line, joining partial ones and skipping what is not a record', async () => {
    assert.equal(await read(log, {}), 'one\ntwo\nthree\nfour\n');
  });

  test('tailLines, sinceTime, timestamps and limitBytes', async () => {
    assert.equal(await read(log, { tailLines: 2 }), 'three\nfour\n');
    assert.equal(await read(log, { tailLines: 0 }), '');
    assert.equal(await read(log, { sinceTime: at(2) }), 'three\nfour\n');
    assert.equal(await read(log, { timestamps: true, tailLines: 1 }), '2026-11-25T10:00:03.000000000Z four\n');
    assert.equal(await read(log, { limitBytes: 6 }), 'one\ntw');
    assert.equal(await read(log, { sinceTime: at(1), tailLines: 1, limitBytes: 100 }), 'four\n');
  });

  test('follow reads new lines, moves to the new file after a rotation and stops when the container exits', async () => {
    const path = join(dir.path, 'follow.log');
    await writeFile(path, formatCRILogLine(at(0), 'stdout', 'before'));
    let running = true;
    const chunks: string[] = [];
    const done = readContainerLogs(path, { follow: true }, { write: async (c) => void chunks.push(c.toString()) }, { isRunning: () => running, pollMs: 20 });
    await until('the first line', () => chunks.join('') === 'before\n');
    await appendFile(path, formatCRILogLine(at(1), 'stdout', 'appended'));
    await until('the appended line', () => chunks.join('').endsWith('appended\n'));
    // As the rotator does: rename, the runtime reopens a new file; a last line still lands in the old one.
    await rename(path, `${path}.20261125-100000`);
    await appendFile(`${path}.20261125-100000`, formatCRILogLine(at(2), 'stdout', 'late in old file'));
    await writeFile(path, formatCRILogLine(at(3), 'stdout', 'in new file'));
    await until('the new file', () => chunks.join('').endsWith('in new file\n'));
    await appendFile(path, formatCRILogLine(at(4), 'stdout', 'last'));
    running = false;
    await done;
    assert.equal(chunks.join(''), 'before\nappended\nlate in old file\nin new file\nlast\n');
  });

  test('follow with tailLines starts from the last lines', async () => {
    const path = join(dir.path, 'tail.log');
    await writeFile(path, ['a', 'b', 'c'].map((l, i) => formatCRILogLine(at(i), 'stdout', l)).join(''));
    assert.equal(await read(path, { follow: true, tailLines: 1 }, { isRunning: () => false, pollMs: 10 }), 'c\n');
  });

  test('follow stops when the client goes away', async () => {
    const path = join(dir.path, 'abort.log');
    await writeFile(path, formatCRILogLine(at(0), 'stdout', 'x'));
    const abort = new AbortController();
    const done = read(path, { follow: true }, { isRunning: () => true, signal: abort.signal, pollMs: 10 });
    setTimeout(() => abort.abort(), 50);
    assert.equal(await done, 'x\n');
  });
});

describe('ContainerLogRotator', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => (dir = await tempDir('k8ts-rotate-')));
  after(() => dir.remove());

  test('rotates a log past its max size, asks the runtime to reopen it, compresses older files and keeps max files', async () => {
    const path = join(dir.path, '0.log');
    const reopened: string[] = [];
    const rotator = new ContainerLogRotator({
      runtime: {
        // As containerd: a fresh file at the log path.
        reopenContainerLog: async (id) => {
          reopened.push(id);
          await writeFile(path, '');
        },
      },
      containers: () => [{ id: 'c1', logPath: path }],
      logger: componentLogger('test'),
      maxSize: 100,
      maxFiles: 3,
    });
    await writeFile(path, 'small\n');
    await rotator.rotateLogs();
    assert.deepEqual(reopened, []);
    for (let round = 0; round < 4; round++) {
      await writeFile(path, `${String(round).repeat(150)}\n`);
      await rotator.rotateLogs();
      // Rotated names carry a one-second timestamp: step past it.
      await new Promise((r) => setTimeout(r, 1010));
    }
    assert.deepEqual(reopened, ['c1', 'c1', 'c1', 'c1']);
    assert.equal((await stat(path)).size, 0);
    const rotated = (await readdir(dir.path)).filter((n) => n.startsWith('0.log.')).sort();
    // maxFiles 3 = the live file and two rotated ones; the older of them compressed.
    assert.equal(rotated.length, 2, rotated.join(', '));
    assert.match(rotated[0]!, /^0\.log\.\d{8}-\d{6}\.gz$/);
    assert.match(rotated[1]!, /^0\.log\.\d{8}-\d{6}$/);
    assert.equal(gunzipSync(await readFile(join(dir.path, rotated[0]!))).toString(), `${'2'.repeat(150)}\n`);
    assert.equal(await readFile(join(dir.path, rotated[1]!), 'utf8'), `${'3'.repeat(150)}\n`);
  });

  test('a failed reopen puts the log back where the runtime still writes it', async () => {
    const path = join(dir.path, 'fail.log');
    await writeFile(path, 'x'.repeat(200));
    const rotator = new ContainerLogRotator({
      runtime: { reopenContainerLog: async () => Promise.reject(new Error('container not running')) },
      containers: () => [{ id: 'c2', logPath: path }],
      logger: componentLogger('test'),
      maxSize: 100,
    });
    await rotator.rotateLogs();
    assert.equal((await stat(path)).size, 200);
    assert.deepEqual((await readdir(dir.path)).filter((n) => n.startsWith('fail.log.')), []);
  });
});
