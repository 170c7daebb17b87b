/** The store API's public surface (filled in by the store-api issue). */
export {}
