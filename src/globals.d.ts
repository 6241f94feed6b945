/** Replaced at build time by esbuild `define`. */
declare const __DEV__: boolean;
declare const __VERSION__: string;
declare const __PACKAGE_NAME__: string;
