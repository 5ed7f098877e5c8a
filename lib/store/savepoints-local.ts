import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parseSavepoint,
  type Savepoint,
  type SavepointStore,
  savepointExists,
  summarize,
} from '../core/savepoint';

const newestFirst = (a: { createdAt: number }, b: { createdAt: number }) => b.createdAt - a.createdAt;

/** Savepoints in RAM (memory store): kept as JSON text, so nobody aliases them. */
export function createMemorySavepoints(): SavepointStore {
  const saved = new Map<string, string>();
  const keyOf = (fn: string, name: string) => `${fn}\u0000${name}`;
  return {
    async put(savepoint) {
      const key = keyOf(savepoint.fn, savepoint.name);
      if (saved.has(key)) throw savepointExists(savepoint.fn, savepoint.name);
      saved.set(key, JSON.stringify(savepoint));
    },
    async get(fn, name) {
      const text = saved.get(keyOf(fn, name));
      return text === undefined ? null : parseSavepoint(text, `savepoint ${name}`);
    },
    async list(fn) {
      return [...saved.values()]
        .map((text) => JSON.parse(text) as Savepoint)
        .filter((s) => s.fn === fn)
        .map(summarize)
        .sort(newestFirst);
    },
  };
}

/**
 * Savepoints of the file store: `<root>/.savepoints/<fn>/<name>.json`, one file each, written
 * whole (temporary file, then a hard link that fails if the name exists).
 */
export function createFileSavepoints(root: string): SavepointStore {
  const dirOf = (fn: string) => join(root, '.savepoints', encodeURIComponent(fn));
  const fileOf = (fn: string, name: string) => join(dirOf(fn), `${name}.json`);
  return {
    async put(savepoint) {
      const dir = dirOf(savepoint.fn);
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.tmp-${randomUUID()}`);
      await writeFile(tmp, JSON.stringify(savepoint));
      try {
        await link(tmp, fileOf(savepoint.fn, savepoint.name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw savepointExists(savepoint.fn, savepoint.name);
        throw error;
      } finally {
        await unlink(tmp);
      }
    },
    async get(fn, name) {
      const file = fileOf(fn, name);
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      return text === null ? null : parseSavepoint(text, file);
    },
    async list(fn) {
      const names = await readdir(dirOf(fn)).catch(() => [] as string[]);
      const summaries = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        summaries.push(summarize(parseSavepoint(await readFile(join(dirOf(fn), name), 'utf8'), name)));
      }
      return summaries.sort(newestFirst);
    },
  };
}
