-- How many orders a day, for how much, and how much of it was discounted?
SELECT
  DATE(timestamp) AS day,
  currency,
  COUNT(*) AS orders,
  SUM(total) AS revenue,
  SAFE_DIVIDE(SUM(total), COUNT(*)) AS average_order_value,
  COUNTIF(ARRAY_LENGTH(discounts) > 0) AS discounted_orders,
  SUM(IFNULL((SELECT SUM(d.amount) FROM UNNEST(discounts) AS d), 0)) AS discount_amount,
  SAFE_DIVIDE(COUNTIF(ARRAY_LENGTH(discounts) > 0), COUNT(*)) AS discounted_share
FROM `${dataset}.order_transaction_events`
GROUP BY day, currency
