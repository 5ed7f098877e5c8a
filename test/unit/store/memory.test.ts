import { createMemoryStore, type MemoryBacking } from '../../../lib/store/memory';
import { describeStore } from '../../store/contract';

const backing: MemoryBacking = new Map();
describeStore('memory', () => createMemoryStore(backing));
