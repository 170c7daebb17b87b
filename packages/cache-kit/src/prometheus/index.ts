export { type PrometheusMetricsOptions, prometheusMetrics } from './metrics.js'
