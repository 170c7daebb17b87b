// Placeholder until the cache-kit core issue lands: prometheusMetrics lives here.
export {}
