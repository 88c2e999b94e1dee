/**
 * What the signing algorithm costs. One server per algorithm (JWT_ALGORITHM), each on a fresh database,
 * all started up front; then, round after round, each case runs on every server in turn (the order
 * rotating each round), so each algorithm gets the same share of whatever else the machine is doing.
 *
 * - remembered: GET /auth/me, one token per connection sent again and again: after its first request
 *   VerifiedTokens answers and no signature is checked.
 * - first sight: GET /auth/me, every request carries a token the server has never seen, so each one is
 *   verified. The tokens are minted after the warm-up and before any timed run by refreshing a few
 *   dozen sessions over and over: every refresh answers a new access token (a new `jti`), and an access
 *   token stays good while its session lives, rotated or not. The server signed them but never saw them
 *   come back. These runs are a set number of requests, each token used once.
 * - refresh: POST /auth/refresh on fresh sessions, one per connection: each request rotates a session
 *   and signs a new access token.
 *
 * Each run reports req/s, p99 and the server process's CPU time per request: on a machine shared with
 * other work, throughput moves with their load, CPU time per request much less.
 *
 * Beside them, the bare cost of one sign and one verify per algorithm, in this process, through
 * @nestjs/jwt's JwtService (the service's signer; it calls jsonwebtoken) with KeyObjects, as the
 * service holds its keys.
 */
import { JwtService } from '@nestjs/jwt';
import autocannon, { type Options } from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { createSecretKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import {
  cpuSeconds,
  freshDatabase,
  median,
  PASSWORD,
  post,
  refreshChain,
  REFRESH_SESSIONS,
  serviceEnv,
  startServer,
  stopServer,
  timed,
  type BenchDatabase,
  type Run,
} from './harness.js';

export const ALGORITHMS = ['ES256', 'RS256', 'HS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

const CASES = ['remembered', 'firstSight', 'refresh'] as const;
type Case = (typeof CASES)[number];
const CASE_NAMES: Record<Case, string> = {
  remembered: 'GET /auth/me, remembered token',
  firstSight: 'GET /auth/me, first-sight token',
  refresh: 'POST /auth/refresh',
};

/** Logins are not measured here: the lowest cost makes the sessions the cases need cheap to open. */
const BCRYPT_COST = 4;
/** Sessions refreshed in parallel to mint the first-sight tokens. */
const MINT_SESSIONS = 48;
/** First-sight requests while warming up; they also size the timed runs. */
const WARMUP_FIRST_SIGHT = 2000;
/** Caps the tokens to mint (rounds × this per server), which take a committed refresh each. */
const MAX_FIRST_SIGHT = 8000;
const SIGN_BATCHES = 41;
const OPERATIONS_PER_BATCH = 50;

export interface ComparisonSettings {
  algorithms: Algorithm[];
  /** The servers listen on this port and the next ones. */
  firstPort: number;
  connections: number;
  warmup: number;
  /** Seconds per timed run (first-sight runs: about as long, see compareAlgorithms). */
  duration: number;
  rounds: number;
}

/** One timed run, with the server process's CPU time (every thread) over the run, per answer: what other load on the machine barely moves. */
interface Sample extends Run {
  cpuUs: number;
}

interface Subject {
  algorithm: Algorithm;
  base: string;
  server: ChildProcess;
  database: BenchDatabase;
  email: string;
  /** One access token per connection for the remembered case. */
  remembered: string[];
  /** Valid access tokens the server has not been shown yet. */
  unseen: string[];
}

interface Figure {
  median: number;
  min: number;
  max: number;
}

export interface ComparisonResult {
  settings: ComparisonSettings & { firstSight: number; bcryptCost: number; mintSessions: number; refreshSessions: number };
  cases: Record<Case, Partial<Record<Algorithm, { runs: Sample[]; rps: Figure; p99: Figure; cpuUs: Figure }>>>;
  /** Per case, each algorithm's req/s over HS256's in the same round. */
  ratios: Record<Case, Partial<Record<Algorithm, Figure>>>;
  /** CPU microseconds per operation, over batches of OPERATIONS_PER_BATCH. */
  operations: Partial<Record<Algorithm, { signUs: Figure; verifyUs: Figure }>>;
}

const figure = (values: number[]): Figure => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

async function measureOn(subject: Subject, options: Options): Promise<Sample> {
  const before = cpuSeconds(subject.server);
  const sample = await timed(options);
  return { ...sample, cpuUs: ((cpuSeconds(subject.server) - before) * 1e6) / (sample.ok + sample.non2xx) };
}

/** Each connection sends its own token every time (rebuilt per request, as in the first-sight case, so the load generator does the same work). */
function rememberedOptions(subject: Subject): Options {
  let next = 0;
  return {
    url: `${subject.base}/api/v1/auth/me`,
    connections: subject.remembered.length,
    setupClient: (client) => {
      const authorization = `Bearer ${subject.remembered[next++ % subject.remembered.length]}`;
      client.setRequests([{ method: 'GET', setupRequest: (request) => ({ ...request, headers: { authorization } }) }]);
    },
  };
}

/** `amount` requests, each taking a token off the unseen pool. */
function firstSightOptions(subject: Subject, connections: number, amount: number): Options {
  if (subject.unseen.length < amount) throw new Error(`${subject.algorithm}: only ${subject.unseen.length} unseen tokens left`);
  const tokens = subject.unseen.splice(0, amount);
  return {
    url: `${subject.base}/api/v1/auth/me`,
    connections,
    amount,
    requests: [
      { method: 'GET', setupRequest: (request) => ({ ...request, headers: { authorization: `Bearer ${tokens.pop()}` } }) },
    ],
  };
}

function login(subject: Subject): Promise<Record<string, unknown>> {
  return post(subject.base, '/api/v1/auth/login', { email: subject.email, password: PASSWORD });
}

async function sessions(subject: Subject, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, async () => (await login(subject)).refreshToken as string));
}

async function start(algorithm: Algorithm, port: number): Promise<Subject> {
  const database = await freshDatabase();
  const base = `http://127.0.0.1:${port}`;
  try {
    const server = await startServer(
      base,
      serviceEnv(port, database, { JWT_ALGORITHM: algorithm, BCRYPT_COST: String(BCRYPT_COST) }),
    );
    const email = `bench-${algorithm.toLowerCase()}-${Date.now()}@example.com`;
    await post(base, '/api/v1/auth/register', { email, password: PASSWORD });
    return { algorithm, base, server, database, email, remembered: [], unseen: [] };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** Refreshes sessions until `count` distinct access tokens are in hand; none of them has been presented. */
async function mint(subject: Subject, count: number): Promise<string[]> {
  const tokens = new Set<string>();
  for (let attempt = 0; tokens.size < count; attempt++) {
    if (attempt === 3) throw new Error(`${subject.algorithm}: minted only ${tokens.size} of ${count} tokens`);
    const chain = refreshChain(subject.base, await sessions(subject, MINT_SESSIONS), (token) => tokens.add(token));
    await autocannon({ ...chain, amount: Math.max(count - tokens.size, MINT_SESSIONS) });
  }
  return [...tokens].slice(0, count);
}

/** Mints on every server at once: refreshes are bound by the database's commits, which then group. */
function mintAll(subjects: Subject[], count: number): Promise<string[][]> {
  return Promise.all(subjects.map((subject) => mint(subject, count)));
}

function keyPair(algorithm: Algorithm): { signKey: KeyObject; verifyKey: KeyObject } {
  if (algorithm === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    return { signKey: secret, verifyKey: secret };
  }
  const { privateKey, publicKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { signKey: privateKey, verifyKey: publicKey };
}

/** Sign and verify as the service does (same claims, options and key types), in interleaved batches. */
function measureOperations(algorithms: Algorithm[]): ComparisonResult['operations'] {
  const signers = algorithms.map((algorithm) => {
    const { signKey, verifyKey } = keyPair(algorithm);
    const jwt = new JwtService({
      privateKey: signKey,
      publicKey: verifyKey,
      signOptions: { algorithm, expiresIn: 900, keyid: randomBytes(16).toString('base64url') },
      verifyOptions: { algorithms: [...ALGORITHMS], clockTolerance: 5 },
    });
    const claims = { sid: randomUUID(), roles: ['user'], iat: Math.floor(Date.now() / 1000) };
    const sign = () => jwt.sign(claims, { subject: randomUUID(), jwtid: randomUUID() });
    return { algorithm, jwt, sign, token: sign(), signUs: [] as number[], verifyUs: [] as number[] };
  });
  // CPU time, not wall time: a batch the scheduler interrupts for other work still counts only its own cost.
  const cpuUs = (operation: () => unknown) => {
    const started = process.cpuUsage();
    for (let i = 0; i < OPERATIONS_PER_BATCH; i++) operation();
    const { user, system } = process.cpuUsage(started);
    return (user + system) / OPERATIONS_PER_BATCH;
  };
  for (let batch = 0; batch < SIGN_BATCHES; batch++) {
    for (const signer of signers) {
      signer.signUs.push(cpuUs(signer.sign));
      signer.verifyUs.push(cpuUs(() => signer.jwt.verify(signer.token)));
    }
  }
  return Object.fromEntries(
    signers.map((s) => [s.algorithm, { signUs: figure(s.signUs.slice(1)), verifyUs: figure(s.verifyUs.slice(1)) }]),
  );
}

/** Runs the comparison and prints its tables; `algorithms` must include HS256, the baseline. */
export async function compareAlgorithms(settings: ComparisonSettings): Promise<ComparisonResult> {
  const { algorithms, connections, warmup, duration, rounds } = settings;
  if (!algorithms.includes('HS256')) throw new Error('the algorithm comparison needs HS256, its baseline');
  console.log(
    `\nSigning algorithms: ${algorithms.join(', ')}, one server each on a fresh database (${process.env.DATABASE_URL ? 'Postgres server' : 'embedded PGlite'}); per case ${warmup} s warm-up, then ${rounds} rounds of ${duration} s runs, servers in turn`,
  );
  const subjects: Subject[] = [];
  try {
    for (const [i, algorithm] of algorithms.entries()) subjects.push(await start(algorithm, settings.firstPort + i));

    process.stdout.write('  warm-up:');
    const warmupMinted = await mintAll(subjects, connections + WARMUP_FIRST_SIGHT);
    const warmupRates: number[] = [];
    for (const [i, subject] of subjects.entries()) {
      subject.remembered = warmupMinted[i].slice(0, connections);
      subject.unseen = warmupMinted[i].slice(connections);
      await timed({ ...rememberedOptions(subject), duration: warmup });
      warmupRates.push((await timed(firstSightOptions(subject, connections, WARMUP_FIRST_SIGHT))).rps);
      await timed({ ...refreshChain(subject.base, await sessions(subject, REFRESH_SESSIONS)), duration: warmup });
      process.stdout.write(` ${subject.algorithm}`);
    }
    // As many first-sight requests per run as the fastest server answered in `duration` while warming up
    // (capped), so those runs last about as long as the others, and no more tokens are minted than used.
    const firstSight = Math.min(MAX_FIRST_SIGHT, Math.max(connections * 20, Math.round(Math.max(...warmupRates) * duration)));
    const started = performance.now();
    const minted = await mintAll(subjects, rounds * firstSight);
    for (const [i, subject] of subjects.entries()) subject.unseen = minted[i];
    process.stdout.write(
      `; minted ${rounds} × ${firstSight} first-sight tokens per server in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );

    const runs = Object.fromEntries(CASES.map((name) => [name, new Map<Algorithm, Sample[]>()])) as Record<
      Case,
      Map<Algorithm, Sample[]>
    >;
    const ratioRuns = Object.fromEntries(CASES.map((name) => [name, new Map<Algorithm, number[]>()])) as Record<
      Case,
      Map<Algorithm, number[]>
    >;
    for (let round = 0; round < rounds; round++) {
      process.stdout.write(`  round ${round + 1}:`);
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
      for (const name of CASES) {
        const inRound = new Map<Algorithm, Sample>();
        for (const subject of order) {
          const options: Options =
            name === 'remembered'
              ? { ...rememberedOptions(subject), duration }
              : name === 'firstSight'
                ? firstSightOptions(subject, connections, firstSight)
                : { ...refreshChain(subject.base, await sessions(subject, REFRESH_SESSIONS)), duration };
          const sample = await measureOn(subject, options);
          inRound.set(subject.algorithm, sample);
          runs[name].set(subject.algorithm, [...(runs[name].get(subject.algorithm) ?? []), sample]);
        }
        const hs256 = inRound.get('HS256')!;
        for (const [algorithm, sample] of inRound) {
          ratioRuns[name].set(algorithm, [...(ratioRuns[name].get(algorithm) ?? []), sample.rps / hs256.rps]);
        }
        process.stdout.write(` ${name}`);
      }
      process.stdout.write('\n');
    }

    process.stdout.write('  sign and verify in this process');
    const operations = measureOperations(algorithms);
    process.stdout.write('\n');

    const result: ComparisonResult = {
      settings: {
        ...settings,
        firstSight,
        bcryptCost: BCRYPT_COST,
        mintSessions: MINT_SESSIONS,
        refreshSessions: REFRESH_SESSIONS,
      },
      cases: Object.fromEntries(
        CASES.map((name) => [
          name,
          Object.fromEntries(
            [...runs[name]].map(([algorithm, samples]) => [
              algorithm,
              {
                runs: samples,
                rps: figure(samples.map((s) => s.rps)),
                p99: figure(samples.map((s) => s.p99)),
                cpuUs: figure(samples.map((s) => s.cpuUs)),
              },
            ]),
          ),
        ]),
      ) as ComparisonResult['cases'],
      ratios: Object.fromEntries(
        CASES.map((name) => [name, Object.fromEntries([...ratioRuns[name]].map(([a, values]) => [a, figure(values)]))]),
      ) as ComparisonResult['ratios'],
      operations,
    };
    printComparison(result, algorithms);
    return result;
  } finally {
    for (const subject of subjects) {
      await stopServer(subject.server);
      await subject.database.drop();
    }
  }
}

const range = (f: Figure, digits = 0) => `${f.min.toFixed(digits)}–${f.max.toFixed(digits)}`;

function printComparison(result: ComparisonResult, algorithms: Algorithm[]): void {
  console.log(
    '\n| case | algorithm | req/s | p99 ms | req/s ÷ HS256 (per round) | server CPU µs/request |\n|---|---|---:|---:|---:|---:|',
  );
  for (const name of CASES) {
    for (const algorithm of algorithms) {
      const entry = result.cases[name][algorithm]!;
      const failed = entry.runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0);
      const ratio = result.ratios[name][algorithm]!;
      console.log(
        `| ${CASE_NAMES[name]} | ${algorithm} | ${entry.rps.median.toFixed(0)} (${range(entry.rps)}) | ` +
          `${entry.p99.median} (${range(entry.p99)})${failed ? ` ⚠ ${failed} failed` : ''} | ` +
          `${algorithm === 'HS256' ? '' : `${ratio.median.toFixed(2)} (${range(ratio, 2)})`} | ` +
          `${entry.cpuUs.median.toFixed(0)} (${range(entry.cpuUs)}) |`,
      );
    }
  }
  console.log('\n| one operation, in this process | sign, CPU µs | verify, CPU µs |\n|---|---:|---:|');
  for (const algorithm of algorithms) {
    const ops = result.operations[algorithm];
    if (ops) {
      console.log(
        `| ${algorithm} | ${ops.signUs.median.toFixed(0)} (${range(ops.signUs)}) | ${ops.verifyUs.median.toFixed(0)} (${range(ops.verifyUs)}) |`,
      );
    }
  }
  console.log(
    `\nMedian of ${result.settings.rounds} runs (min–max in brackets); first-sight runs: ${result.settings.firstSight} ` +
      `requests each. Sign and verify: median CPU µs per operation over batches of ${OPERATIONS_PER_BATCH}, ${SIGN_BATCHES - 1} batches each, interleaved.`,
  );
}
