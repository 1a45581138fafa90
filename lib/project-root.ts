import * as path from 'node:path';

/** The checkout's root directory (this file is lib/project-root.ts). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
