#!/usr/bin/env node
// The `dsr` ops CLI: registers tsx so the TypeScript sources run as they are, then runs cli/dsr.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/dsr.ts');
await main(process.argv);
