// One Lambda execution environment: a worker thread with its own process.env and module cache that
// loads a bundled function asset from cdk.out and runs one invocation at a time.
const { parentPort, workerData } = require('node:worker_threads');
const Module = require('node:module');

// As in the Lambda runtime, a bundle finds only itself and its layers (/opt/nodejs/node_modules): never
// the project's node_modules. `nodeModules` holds the function's layer folders only.
process.env.NODE_PATH = workerData.nodeModules ?? '';
Module._initPaths();

let handler;
let initError;
try {
  const mod = require(workerData.entry);
  handler = mod[workerData.handlerName];
  if (typeof handler !== 'function') {
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${workerData.handler} is undefined or not exported`,
    };
  }
} catch (err) {
  initError = {
    errorType: err?.name ? err.name : 'Runtime.ImportModuleError',
    errorMessage: err?.message ? err.message : String(err),
    trace: err?.stack ? String(err.stack).split('\n') : [],
  };
}

parentPort.on('message', async ({ id, event, context }) => {
  if (initError) {
    parentPort.postMessage({ id, ok: false, error: initError });
    return;
  }
  const deadline = context.deadline;
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(event, ctx);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
  } catch (err) {
    parentPort.postMessage({
      id,
      ok: false,
      error: {
        errorType: err?.name ? err.name : 'Error',
        errorMessage: err?.message ? err.message : String(err),
        trace: err?.stack ? String(err.stack).split('\n') : [],
      },
    });
  }
});
