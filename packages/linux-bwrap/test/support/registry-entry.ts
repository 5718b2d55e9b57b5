// Test support: registers placeholder targets in a registry, says so on stdout, then waits to be
// killed (so tests can check what the next run does with an owner that died).

import { PlaceholderRegistry, type PlaceholderTarget } from '../../src/registry.js';

const [root, targetsJson] = process.argv.slice(2);
if (root === undefined || targetsJson === undefined) throw new Error('usage: registry-entry ROOT TARGETS_JSON');
const registry = new PlaceholderRegistry(root);
registry.register(JSON.parse(targetsJson) as PlaceholderTarget[]);
process.stdout.write('registered\n');
setInterval(() => {}, 1000);
