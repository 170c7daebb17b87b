import { libraryConfig } from '../../tsup.library'

export default libraryConfig({
  index: 'src/index.ts',
  express: 'src/express/index.ts',
  prometheus: 'src/prometheus/index.ts',
  'test-suite': 'src/test-suite/index.ts',
})
