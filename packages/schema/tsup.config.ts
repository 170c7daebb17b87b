import { libraryConfig } from '../../tsup.library'

export default libraryConfig({ index: 'src/index.ts', cli: 'src/cli.ts' })
