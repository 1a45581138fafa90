// What both programs of this repository set up first (bin/recomart.cjs, bin/bench.cjs): the TypeScript
// sources run through tsx, so they work right after `npm ci`; and the SDK's notice that its 2027
// releases need Node 22 is not shown (Lambda runs nodejs22.x, and we test on Node 20 too).
require('tsx/cjs/api').register();
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'object' ? rest[0]?.type : rest[0];
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};
