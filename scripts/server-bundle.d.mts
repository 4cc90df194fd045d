import type { BuildOptions } from 'esbuild';

/** See server-bundle.mjs. */
export declare const SERVER_BUNDLE: BuildOptions;
