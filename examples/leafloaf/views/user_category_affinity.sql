-- What does each user care about? Signals per user and category: the training table of the recommendation models.
SELECT
  user_id,
  product_category AS category,
  COUNT(*) AS interactions,
  COUNTIF(signal_type = "view") AS views,
  COUNTIF(signal_type = "click") AS clicks,
  COUNTIF(signal_type = "add_to_cart") AS add_to_carts,
  COUNTIF(signal_type = "purchase") AS purchases,
  SUM(signal_weight) AS affinity,
  MAX(timestamp) AS last_signal_at
FROM `${dataset}.product_interaction_events`
WHERE user_id IS NOT NULL AND product_category IS NOT NULL
GROUP BY user_id, category
