/**
 * `npm run bench`: the throughput and latency cases of issue 12 against the production build
 * (node dist/main.js, NODE_ENV=production) on the local Postgres (DATABASE_URL, fresh databases) or on
 * embedded storage, each measured beside its yardstick in the same run (throughput.ts).
 * `npm run bench -- algorithms` runs the signing-algorithm comparison (algorithms.ts) instead, and
 * `npm run bench -- --scale` the latencies at 1 M users (scale.ts), `npm run bench -- --retention` what
 * the purge frees (retention.ts). Each writes its results to
 * bench/results/<time>-<part>.json.
 *
 * Knobs: BENCH_DURATION (seconds per timed run), BENCH_ROUNDS, BENCH_WARMUP (seconds), BCRYPT_COST,
 * DATABASE_POOL_SIZE, BENCH_PROBE_RATE (req/s), BENCH_ALGORITHMS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { ALGORITHMS, compareAlgorithms } from './algorithms.js';
import { ROOT } from './harness.js';
import { runRetention } from './retention.js';
import { runScale } from './scale.js';
import { runThroughput } from './throughput.js';

const PORT = 39_000 + Math.floor(Math.random() * 1000);
const CONNECTIONS = 50;

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number of at least ${min} (got "${raw}")`);
  return value;
}

/** Signing algorithms compared, HS256 (the baseline) among them. */
function algorithmsCompared() {
  return (process.env.BENCH_ALGORITHMS ?? 'ES256,HS256').split(',').map((name) => {
    const algorithm = ALGORITHMS.find((known) => known === name.trim());
    if (!algorithm) throw new Error(`BENCH_ALGORITHMS: unknown algorithm "${name}" (known: ${ALGORITHMS.join(', ')})`);
    return algorithm;
  });
}

async function main(): Promise<void> {
  const part = process.argv[2]?.replace(/^--/, '') ?? 'throughput';
  if (!['throughput', 'algorithms', 'scale', 'retention'].includes(part)) {
    throw new Error(
      `unknown argument "${process.argv[2]}"; known: algorithms, --scale, --retention (none: the throughput cases)`,
    );
  }
  const storage = process.env.DATABASE_URL ? 'Postgres server (DATABASE_URL)' : 'embedded PGlite';
  console.log(
    `Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), storage: ${storage}`,
  );
  const results: Record<string, unknown> = {
    part,
    startedAt: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim(),
    storage: process.env.DATABASE_URL ? 'postgres' : 'embedded',
  };

  if (part === 'throughput') {
    results.throughput = await runThroughput({
      port: PORT,
      connections: CONNECTIONS,
      warmup: numberFromEnv('BENCH_WARMUP', 5, 1),
      duration: numberFromEnv('BENCH_DURATION', 5, 1),
      rounds: numberFromEnv('BENCH_ROUNDS', 5, 1),
      bcryptCost: numberFromEnv('BCRYPT_COST', 12, 4),
      poolSize: numberFromEnv('DATABASE_POOL_SIZE', 10, 1),
      probeRate: numberFromEnv('BENCH_PROBE_RATE', 100, 1),
    });
  } else if (part === 'algorithms') {
    // The comparison alternates its servers in more, shorter runs: background load then falls on each alike.
    results.algorithms = await compareAlgorithms({
      algorithms: algorithmsCompared(),
      firstPort: PORT,
      connections: CONNECTIONS,
      warmup: numberFromEnv('BENCH_WARMUP', 2, 1),
      duration: numberFromEnv('BENCH_DURATION', 3, 1),
      rounds: numberFromEnv('BENCH_ROUNDS', 5, 1),
    });
  } else if (part === 'scale') {
    results.scale = await runScale();
  } else {
    results.retention = await runRetention();
  }

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}-${part}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nResults: ${file}`);
}

await main();
