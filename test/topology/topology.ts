import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The repository, whose `dist/main.js` and `deploy/nginx/` the topology runs. */
export const ROOT = join(import.meta.dirname, '..', '..');
export const NGINX_DIR = join(ROOT, 'deploy', 'nginx');

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, read field by field as supertest's bodies are
  body: any;
}

export interface SendOptions {
  body?: unknown;
  /** Raw body text, sent as JSON's content type. */
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Local source address: any of 127.0.0.0/8 reaches a loopback listener. */
  from?: string;
}

/** One request on a fresh connection (so nginx's round robin and the source address are exact). */
export function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    // The path goes out as written (`//metrics`, `%6d`…): what a client can send is what the proxy must handle.
    const req = httpRequest({ hostname, port, path, method, headers, agent: false, localAddress: options.from, timeout: 30_000 });
    req.on('timeout', () => req.destroy(new Error(`${method} ${base}${path} got no answer in 30 s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const json = /json/.test(res.headers['content-type'] ?? '') && text !== '';
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json ? JSON.parse(text) : text });
      });
      res.on('error', reject);
    });
    req.end(payload);
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A child process whose output is kept, for the report when something fails. */
export class Child {
  private output = '';
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  log(): string {
    return this.output;
  }

  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const ended = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!ended) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `url` until it answers 200; fails with the child's output if it exits or takes too long. */
export async function waitForHealth(child: Child, base: string, path = '/health', timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) throw new Error(`${child.name} exited before answering ${path}:\n${child.log()}`);
    const answer = await send(base, 'GET', path).catch(() => undefined);
    if (answer?.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`${child.name} did not answer ${path} with 200 within ${timeoutMs / 1000} s:\n${child.log()}`);
    await sleep(250);
  }
}

/** `dist/main.js` as it runs in production, in `dir` (so no developer's .env is read). */
export function startApp(name: string, dir: string, env: Record<string, string>): Child {
  const main = join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm run test:topology does)`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [main], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Child(name, child);
}

export function findNginx(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error('nginx is not installed: apt-get install -y nginx (.ci/run installs it)');
}

export interface NginxOptions {
  dir: string;
  port: number;
  upstreams: string[];
}

/**
 * The proxy of docker-compose.yml with the two app ports as its upstream servers: the same shared
 * files of deploy/nginx/, in the foreground, with every path of its own in `dir` (no root needed).
 * Only here, each answer names the replica that served it (X-Upstream): a test needs to know.
 */
export function writeNginxConfig({ dir, port, upstreams }: NginxOptions): string {
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  // Run as root, nginx's workers are `nobody`: they must be able to write the temporary folders.
  for (const sub of ['', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) chmodSync(join(dir, sub), 0o777);
  const config = `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr notice;
events { worker_connections 256; }
http {
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};
    include ${join(NGINX_DIR, 'proxy-http.conf')};

    upstream auth_api {
${upstreams.map((address) => `        server ${address} max_fails=1 fail_timeout=5s;`).join('\n')}
        keepalive 8;
        keepalive_timeout 60s;
    }

    server {
        listen 127.0.0.1:${port};
        access_log ${join(dir, 'access.log')} auth_proxy;
        add_header X-Upstream $upstream_addr always;
        include ${join(NGINX_DIR, 'proxy-server.conf')};
    }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  return file;
}

export function startNginx(nginx: string, dir: string, config: string): Child {
  const args = ['-p', dir, '-e', 'stderr', '-c', config];
  const test = spawnSync(nginx, [...args, '-t'], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx refuses the configuration:\n${test.stderr}${test.stdout}`);
  return new Child('nginx', spawn(nginx, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
