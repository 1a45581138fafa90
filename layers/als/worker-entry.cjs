// Boots an ALS worker thread: from the TypeScript sources (via tsx) or from compiled JavaScript.
const { workerData } = require('node:worker_threads');
if (workerData.ts) require('tsx/cjs/api').register();
require(workerData.module);
