import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../../../../../tools/cli/live/live-model';
import { type LiveServer, startLiveServer } from '../../../../../tools/cli/live/live-server';

const snapshot: LiveSnapshot = { time: 1, uptimeMs: 2, functions: [] };
let servers: LiveServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(port = 0, fallback = false): Promise<LiveServer> {
  const server = await startLiveServer(port, () => snapshot, { fallback });
  servers.push(server);
  return server;
}

function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
        if (res.headers['content-type'] === 'text/event-stream' && body.includes('\n\n')) res.destroy();
      });
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the live page server', () => {
  it('serves the page, the snapshot and a stream of snapshots, on 127.0.0.1', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const page = await get(server.port, '/');
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(page.body).toContain('new EventSource("/api/events")');
    expect(page.body).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/); // nothing from elsewhere
    expect(JSON.parse((await get(server.port, '/api/snapshot')).body)).toEqual(snapshot);
    const events = await get(server.port, '/api/events');
    expect(events.type).toBe('text/event-stream');
    expect(events.body).toBe(`data: ${JSON.stringify(snapshot)}\n\n`);
    expect((await get(server.port, '/nope')).status).toBe(404);
  });

  it('answers loopback host names only (no DNS rebinding)', async () => {
    const server = await start();
    expect((await get(server.port, '/api/snapshot', 'localhost:1')).status).toBe(200);
    expect((await get(server.port, '/api/snapshot', 'evil.example:80')).status).toBe(403);
  });

  it('says what to do when its port is taken, or takes a free one for the default port', async () => {
    const first = await start();
    await expect(start(first.port)).rejects.toThrow(
      `port ${first.port} on 127.0.0.1 is in use: pick another with --ui-port <n>, or --no-ui`,
    );
    const other = await start(first.port, true);
    expect(other.port).not.toBe(first.port);
  });
});
