import { connect, createServer, type Server, type Socket } from 'node:net';
import { createTestDatabase, type TestDatabase } from './test-app.js';

export interface FreezableRelay {
  /** Loopback port the app connects to instead of the target. */
  port: number;
  /** Forwards nothing more, in either direction, and connects nothing, yet closes no socket: a hung server. */
  freeze(): void;
  /** Delivers what waited, as a network that comes back does. */
  thaw(): void;
  /** Drops every connection and refuses new ones: a server that is gone. */
  cut(): void;
  /** Accepts connections on the same port again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP relay to host:port that a test can freeze or cut, to show what a hung or lost dependency does to the app. */
export async function freezableRelay(host: string, port: number): Promise<FreezableRelay> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const waiting: Socket[] = [];
  let frozen = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const wire = (client: Socket) => {
    const upstream = connect(port, host);
    track(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const listen = (on: number) =>
    new Promise<Server>((resolve) => {
      const server = createServer((client) => {
        track(client);
        if (frozen) waiting.push(client);
        else wire(client);
      });
      server.listen(on, '127.0.0.1', () => resolve(server));
    });
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  let server = await listen(0);
  const relayPort = (server.address() as { port: number }).port;
  return {
    port: relayPort,
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const [client, upstream] of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of waiting.splice(0)) wire(client);
    },
    cut() {
      server.close();
      destroyAll();
    },
    async restore() {
      server = await listen(relayPort);
    },
    close() {
      destroyAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fresh database on DATABASE_URL's server and a relay in front of it; `url` reaches it through the relay. */
export async function databaseBehindRelay(): Promise<{ database: TestDatabase; relay: FreezableRelay; url: string }> {
  const database = await createTestDatabase();
  const target = new URL(database.url!);
  const relay = await freezableRelay(target.hostname, Number(target.port || 5432));
  const viaRelay = new URL(database.url!);
  viaRelay.hostname = '127.0.0.1';
  viaRelay.port = String(relay.port);
  return { database, relay, url: viaRelay.toString() };
}
