/** The benchmark page: 50 products as the store API lists them (~15 KB of JSON). */
export function productsPage() {
  return {
    count: 1234,
    count_is_estimate: false,
    page: 2,
    page_size: 50,
    total_pages: 25,
    next: 'http://localhost/api/products?page=3&page_size=50',
    previous: 'http://localhost/api/products?page=1&page_size=50',
    results: Array.from({ length: 50 }, (_, i) => ({
      id: 51 + i,
      name: `Product ${51 + i} oak desk, 160 cm`,
      sku: `SKU-${String(51 + i).padStart(6, '0')}`,
      category_id: (i % 12) + 1,
      supplier_id: (i % 7) + 1,
      sale_price: (19.9 + i * 7.25).toFixed(2),
      is_active: i % 10 !== 0,
      description: 'Solid oak top, powder-coated steel legs, cable tray. Delivered flat-packed.',
      created_at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      updated_at: new Date(Date.UTC(2026, 5, 1 + i)).toISOString(),
    })),
  }
}
