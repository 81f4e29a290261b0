-- How many searches a day, by how many users, with which intents, and how fast did search answer (median)?
SELECT
  day,
  COUNT(*) AS searches,
  COUNT(DISTINCT user_id) AS users,
  COUNTIF(intent = "product_search") AS product_search,
  COUNTIF(intent = "meal_planning") AS meal_planning,
  COUNTIF(intent = "price_sensitive") AS price_sensitive,
  COUNTIF(intent IS NULL OR intent NOT IN ("product_search", "meal_planning", "price_sensitive")) AS other_intent,
  COUNTIF(results_count = 0) AS zero_result_searches,
  ANY_VALUE(median_response_time_ms) AS median_response_time_ms
FROM (
  SELECT
    DATE(timestamp) AS day, user_id, intent, results_count,
    PERCENTILE_CONT(response_time_ms, 0.5) OVER (PARTITION BY DATE(timestamp)) AS median_response_time_ms
  FROM `${dataset}.user_search_events`
)
GROUP BY day
