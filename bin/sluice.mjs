#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader, so `npx sluice` needs no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node 20 about its FUTURE releases; package.json pins today's, so the
// warning is noise in a CLI's output. An explicit setting in the environment still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../tools/cli/main.ts');
await main(process.argv.slice(2));
