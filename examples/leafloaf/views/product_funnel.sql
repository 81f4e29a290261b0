-- For each product: how often was it reached from a search, clicked, added to a cart and ordered?
SELECT
  product_sku,
  MAX(product_category) AS product_category,
  SUM(from_search) AS search_interactions,
  SUM(clicked) AS clicks,
  SUM(added) AS cart_adds,
  SUM(ordered) AS orders,
  SUM(units) AS units_ordered,
  SAFE_DIVIDE(SUM(added), SUM(clicked)) AS cart_adds_per_click,
  SAFE_DIVIDE(SUM(ordered), SUM(added)) AS orders_per_cart_add
FROM (
  SELECT product_sku, product_category,
         IF(search_query IS NOT NULL, 1, 0) AS from_search, IF(signal_type = "click", 1, 0) AS clicked,
         0 AS added, 0 AS ordered, 0 AS units
  FROM `${dataset}.product_interaction_events`
  UNION ALL
  SELECT product_sku, CAST(NULL AS STRING), 0, 0, 1, 0, 0
  FROM `${dataset}.cart_modification_events`
  WHERE action = "add"
  UNION ALL
  SELECT item.sku, CAST(NULL AS STRING), 0, 0, 0, 1, item.quantity
  FROM `${dataset}.order_transaction_events` AS o, UNNEST(o.items) AS item
)
GROUP BY product_sku
