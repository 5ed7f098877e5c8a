/**
 * The live page of `sluice dev`: one HTML page (live-page.ts, no framework, nothing from a
 * CDN), its data as JSON (`/api/snapshot`) and as a stream of Server-Sent Events
 * (`/api/events`, one snapshot a second). Listens on 127.0.0.1 only, and answers only requests
 * addressed to a loopback host name, so a web page elsewhere cannot read it through DNS
 * rebinding.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveSnapshot } from './live-model';
import { LIVE_PAGE_HTML } from './live-page';

/** How often the page gets a new snapshot. */
export const PUSH_INTERVAL_MS = 1_000;

export interface LiveServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Starts the page's server on 127.0.0.1:`port` (0: any free port). When the port is taken it
 * fails with a clear error, or with `fallback` takes a free port instead (the default port: two
 * `sluice dev` at once must not fail for it).
 *
 * @example
 * const server = await startLiveServer(57001, () => model.snapshot(emulator.stats()));
 * console.log(`live page: ${server.url}`);
 */
export async function startLiveServer(
  port: number,
  snapshot: () => LiveSnapshot,
  options: { fallback?: boolean } = {},
): Promise<LiveServer> {
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => handle(request, response));

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(host)) {
      response
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('sluice dev answers loopback hosts only\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      send(response, 200, 'text/html; charset=utf-8', LIVE_PAGE_HTML);
    } else if (path === '/api/snapshot') {
      send(response, 200, 'application/json', JSON.stringify(snapshot()));
    } else if (path === '/api/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.write(`data: ${JSON.stringify(snapshot())}\n\n`);
      streams.add(response);
      request.on('close', () => streams.delete(response));
    } else {
      send(response, 404, 'text/plain', 'not found\n');
    }
  }

  const pusher = setInterval(() => {
    if (streams.size === 0) return;
    const data = `data: ${JSON.stringify(snapshot())}\n\n`;
    for (const stream of streams) stream.write(data);
  }, PUSH_INTERVAL_MS);
  pusher.unref();

  const listen = (at: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch (error) {
    clearInterval(pusher);
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (!options.fallback)
      throw new Error(`port ${port} on 127.0.0.1 is in use: pick another with --ui-port <n>, or --no-ui`);
    await listen(0);
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    async close() {
      clearInterval(pusher);
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}
