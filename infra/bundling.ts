/**
 * How every function is bundled: by `SwitchyardFunction` at synth, and by
 * `npm run bundle-sizes` to measure what Lambda gets.
 */
export const BUNDLING = {
  target: "node24",
  minify: true,
  sourceMap: true,
  mainFields: ["module", "main"],
  // CommonJS dependencies inside an ESM bundle still call require.
  banner: "import{createRequire}from'module';const require=createRequire(import.meta.url);",
  // Bundle the AWS SDK too: the version tested is the version that runs, and one bundled
  // file loads faster than the runtime's copy spread over many.
  externalModules: [] as string[],
} as const;
