// The tool's version, set by the bundler (scripts/build.mjs); `0.0.0-dev` when run from source (tests, tsx).
declare const __VERSION__: string | undefined;

export const TOOL_VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
