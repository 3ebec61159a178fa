// Data-parallel training on one machine and the cost of its communication (issue 14).
//
//   node dist/bench/distributed.js [--pairs N] [--steps N] [--netns]
//
// Training speed of the default network (width 16, 64 px input, global batch 64) on synthetic images:
// 1 process × 2 threads against 2 processes × 1 thread on loopback, interleaved pair by pair; the time the
// group spends in collectives per step; and the all-reduce of the gradients (one flat buffer) alone, on
// loopback and, with --netns (root, `ip netns`), over a veth pair between two network namespaces shaped to
// 1 Gbit/s and 10 Gbit/s with `tc ... tbf`, as two machines on such links would see it.
import { execFileSync, spawn } from 'node:child_process';
import * as os from 'node:os';
import { DEFAULT_AUGMENT_POLICY, sampleAugmentation } from '../src/augment/policy';
import { Group } from '../src/distributed/group';
import { networkSpec, storedSizeFor } from '../src/model/architecture';
import { newEngine } from '../src/model/model-folder';
import { native } from '../src/native/binding';
import { TRAIN_DEFAULTS } from '../src/train/options';
import { Rng } from '../src/util/rng';

const POOL = 256;
const CLASSES = 9;
const SMALL = 2 * 128 + 1; // the largest batch-norm exchange: counts, means and squared deviations of 128 channels

interface TrainFigures {
  imagesPerSecond: number;
  communicationSecondsPerStep: number;
}

interface AllreduceFigures {
  floats: number;
  gradientAllreduceMs: number;
  smallCollectiveMs: number;
}

async function joinIfGroup(worldSize: number, rank: number, host: string, port: number): Promise<Group | undefined> {
  return worldSize > 1 ? await Group.join({ worldSize, rank, masterAddress: host, masterPort: port, timeoutSeconds: 120 }) : undefined;
}

/** A worker: `steps` timed training steps (after 3 untimed) of its share of every global batch. */
async function trainWorker(worldSize: number, rank: number, host: string, port: number, threads: number, steps: number): Promise<TrainFigures> {
  native().setThreads(threads);
  const { width, inputSize, crop, batchSize } = TRAIN_DEFAULTS;
  const storedSize = storedSizeFor(inputSize, crop);
  const rng = new Rng(3);
  const pixels = Uint8Array.from({ length: POOL * storedSize * storedSize * 3 }, () => rng.int(256));
  const engine = newEngine(networkSpec(width, CLASSES), { inputSize, storedSize, mean: [128, 128, 128], std: [64, 64, 64] }, { device: 'cpu', bfloat16: false, seed: 1 });
  engine.configureTraining({ weightDecay: TRAIN_DEFAULTS.weightDecay, labelSmoothing: TRAIN_DEFAULTS.labelSmoothing, classWeights: new Float32Array(CLASSES).fill(1) });
  const group = await joinIfGroup(worldSize, rank, host, port);
  if (group) engine.joinGroup(group.handle);
  const fields = native().augmentFields;
  const step = async () => {
    const indices = Int32Array.from({ length: batchSize }, () => rng.int(POOL));
    const augment = sampleAugmentation(DEFAULT_AUGMENT_POLICY, batchSize, rng);
    const labels = Int32Array.from(indices, (slot) => slot % CLASSES);
    if (!group) return await engine.trainStep(pixels, indices, labels, augment, 1e-3);
    const { start, end } = group.share(batchSize);
    return await engine.trainStep(pixels, indices.subarray(start, end), labels.subarray(start, end), augment.subarray(start * fields, end * fields), 1e-3, start, batchSize);
  };
  for (let i = 0; i < 3; i += 1) await step();
  const communicationBefore = group?.handle.communicationSeconds ?? 0;
  const started = performance.now();
  for (let i = 0; i < steps; i += 1) await step();
  const seconds = (performance.now() - started) / 1000;
  return { imagesPerSecond: (steps * batchSize) / seconds, communicationSecondsPerStep: ((group?.handle.communicationSeconds ?? 0) - communicationBefore) / steps };
}

/** A worker: the gradient all-reduce alone (one flat buffer of the default network's parameter count), and a small collective. */
async function allreduceWorker(rank: number, host: string, port: number, repeats: number): Promise<AllreduceFigures> {
  native().setThreads(1);
  const { width, inputSize, crop } = TRAIN_DEFAULTS;
  const engine = newEngine(networkSpec(width, CLASSES), { inputSize, storedSize: storedSizeFor(inputSize, crop), mean: [0, 0, 0], std: [1, 1, 1] }, { device: 'cpu', bfloat16: false, seed: 1 });
  // Gradients of every parameter, plus the three totals the step sums with them.
  const floats = Object.entries(engine.parameters()).filter(([name]) => !/running_|num_batches/.test(name)).reduce((sum, [, { data }]) => sum + data.length, 0) + 3;
  const group = (await joinIfGroup(2, rank, host, port))!;
  const time = (values: Float32Array) => {
    for (let i = 0; i < 3; i += 1) group.handle.allreduceSum(values);
    group.handle.barrier();
    const started = performance.now();
    for (let i = 0; i < repeats; i += 1) group.handle.allreduceSum(values);
    return (performance.now() - started) / repeats;
  };
  return { floats, gradientAllreduceMs: time(new Float32Array(floats)), smallCollectiveMs: time(new Float32Array(SMALL)) };
}

function runWorker(args: string[], netns?: string): Promise<unknown> {
  const command = netns ? 'ip' : process.execPath;
  const argv = netns ? ['netns', 'exec', netns, process.execPath, __filename, ...args] : [__filename, ...args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  return new Promise((resolve, reject) => child.on('close', (status) => (status === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${args.join(' ')} exited ${status}`)))));
}

let nextPort = 29700 + Math.floor(Math.random() * 200);

async function trainRun(worldSize: number, threads: number, steps: number, host = '127.0.0.1', namespaces?: string[]): Promise<TrainFigures> {
  const port = nextPort++;
  const runs = Array.from({ length: worldSize }, (_, rank) => runWorker(['--worker', 'train', String(worldSize), String(rank), host, String(port), String(threads), String(steps)], namespaces?.[rank]));
  return (await Promise.all(runs))[0] as TrainFigures;
}

async function allreduceRun(repeats: number, host = '127.0.0.1', namespaces?: string[]): Promise<AllreduceFigures> {
  const port = nextPort++;
  const runs = [0, 1].map((rank) => runWorker(['--worker', 'allreduce', String(rank), host, String(port), String(repeats)], namespaces?.[rank]));
  return (await Promise.all(runs))[0] as AllreduceFigures;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const NAMESPACES = ['wbc-bench-a', 'wbc-bench-b'];
const ADDRESSES = ['10.78.0.1', '10.78.0.2'];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'inherit' });
}

/** Two network namespaces joined by a veth pair: two "machines" on one host. */
function makeNamespaces(): void {
  for (const name of NAMESPACES) ip('netns', 'add', name);
  ip('link', 'add', 'wbc-bench-va', 'type', 'veth', 'peer', 'name', 'wbc-bench-vb');
  ['wbc-bench-va', 'wbc-bench-vb'].forEach((device, i) => {
    ip('link', 'set', device, 'netns', NAMESPACES[i]);
    ip('netns', 'exec', NAMESPACES[i], 'ip', 'addr', 'add', `${ADDRESSES[i]}/24`, 'dev', device);
    ip('netns', 'exec', NAMESPACES[i], 'ip', 'link', 'set', device, 'up');
    ip('netns', 'exec', NAMESPACES[i], 'ip', 'link', 'set', 'lo', 'up');
  });
}

/** A token bucket on both ends (this kernel has no netem); the burst is kept small so that a whole message cannot pass unshaped. */
function shapeLinks(rate: string, burst: string): void {
  ['wbc-bench-va', 'wbc-bench-vb'].forEach((device, i) => {
    execFileSync('ip', ['netns', 'exec', NAMESPACES[i], 'tc', 'qdisc', 'replace', 'dev', device, 'root', 'tbf', 'rate', rate, 'burst', burst, 'latency', '100ms']);
  });
}

function removeNamespaces(): void {
  for (const name of NAMESPACES) {
    try { execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' }); } catch { /* not there */ }
  }
}

async function main(argv: string[]): Promise<void> {
  const option = (name: string, otherwise: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : otherwise);
  const pairs = option('--pairs', 3);
  const steps = option('--steps', 20);
  const result: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverage1mAtStart: os.loadavg()[0], pairs, steps };

  const single: TrainFigures[] = [];
  const grouped: TrainFigures[] = [];
  for (let pair = 0; pair < pairs; pair += 1) {
    // Alternating which goes first, so that a drift in the machine's load favours neither.
    const order = pair % 2 === 0 ? ['single', 'group'] : ['group', 'single'];
    for (const which of order) {
      if (which === 'single') single.push(await trainRun(1, 2, steps));
      else grouped.push(await trainRun(2, 1, steps));
    }
  }
  const ratios = single.map((s, i) => grouped[i].imagesPerSecond / s.imagesPerSecond);
  result.train = {
    oneProcessTwoThreadsImagesPerSecond: single.map((s) => s.imagesPerSecond),
    twoProcessesOneThreadImagesPerSecond: grouped.map((g) => g.imagesPerSecond),
    ratioTwoProcessesOverOne: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    groupCommunicationMsPerStep: grouped.map((g) => g.communicationSecondsPerStep * 1000),
  };
  result.allreduceLoopback = await allreduceRun(50);
  process.stderr.write(`${JSON.stringify(result)}\n`);

  if (argv.includes('--netns')) {
    removeNamespaces();
    try {
      makeNamespaces();
      const links: Record<string, unknown> = {};
      links.unshaped = { allreduce: await allreduceRun(30, ADDRESSES[0], NAMESPACES) };
      for (const [rate, burst] of [['10gbit', '256kb'], ['1gbit', '64kb']]) {
        shapeLinks(rate, burst);
        links[rate] = { allreduce: await allreduceRun(30, ADDRESSES[0], NAMESPACES), train: await trainRun(2, 1, steps, ADDRESSES[0], NAMESPACES) };
      }
      result.veth = links;
    } finally {
      removeNamespaces();
    }
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[2] === '--worker') {
  const [kind, ...rest] = process.argv.slice(3);
  const out = kind === 'train'
    ? trainWorker(Number(rest[0]), Number(rest[1]), rest[2], Number(rest[3]), Number(rest[4]), Number(rest[5]))
    : allreduceWorker(Number(rest[0]), rest[1], Number(rest[2]), Number(rest[3]));
  void out.then((figures) => process.stdout.write(JSON.stringify(figures)));
} else if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`bench/distributed: ${error.message}\n`);
    process.exit(1);
  });
}
