-- The order page lists the payloads that created or changed an order.
CREATE INDEX inbox_by_order ON inbox (tenant_id, order_id, received_at DESC);
