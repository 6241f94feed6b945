/** Replaced at build time by esbuild `define`. */
declare const __DEV__: boolean;
/** True in the script-tag bundle (dist/optimization.umd.js and its chunks). */
declare const __UMD__: boolean;
declare const __VERSION__: string;
declare const __PACKAGE_NAME__: string;
