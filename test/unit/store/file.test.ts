import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createFileStore } from '../../../lib/store/file';
import { describeStore } from '../../store/contract';

const root = mkdtempSync(join(tmpdir(), 'sluice-file-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStore('file', () => createFileStore(root, { snapshotEvery: 8 }));
