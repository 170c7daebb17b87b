import { libraryConfig } from '../../tsup.library'

// The CLI is reached only through bin/hotpath-schema.mjs, which imports it.
export default libraryConfig({ index: 'src/index.ts' }, { entry: { cli: 'src/cli.ts' }, dts: false })
