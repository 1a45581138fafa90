/**
 * middy for our CommonJS handlers: @middy/core 4 ships a CommonJS build (index.cjs) beside its ES
 * module, but only ES-module types, so the types are imported in import mode and the code required.
 * (middy 5 and later are ES modules only; the Lambda bundles and the tests load CommonJS.)
 */
type MiddyCore = typeof import('@middy/core', { with: { 'resolution-mode': 'import' }});

export const middy: MiddyCore['default'] = require('@middy/core');
