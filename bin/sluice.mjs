#!/usr/bin/env node
// The `sluice` command. In this repository it runs the TypeScript CLI from source (no build
// step for `npm start`); installed from the package (no tools/ sources there) it runs the built
// dist/cli.js. Either way tsx's loader is registered: a project's functions are TypeScript files
// (functions/<name>.ts) that `sluice invoke` and `sluice dev` import, so tsx is a dependency.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node 20 about its FUTURE releases; package.json pins today's, so the
// warning is noise in a CLI's output. An explicit setting in the environment still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const source = new URL('../tools/cli/main.ts', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : '../dist/cli.js');
await main(process.argv.slice(2));
