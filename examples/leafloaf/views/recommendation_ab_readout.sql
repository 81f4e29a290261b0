-- Per experiment arm and model version: lists shown, SKUs shown, and the clicks and cart adds on a shown SKU later in the same session.
WITH shown AS (
  SELECT IFNULL(r.event_properties.experiment, "(none)") AS experiment,
         IFNULL(r.model_name, "(none)") AS model_name, IFNULL(r.model_version, "(none)") AS model_version,
         r.session_id, r.timestamp AS shown_at, sku
  FROM `${dataset}.recommendation_impression_events` AS r, UNNEST(r.recommended_skus) AS sku
),
impressions AS (
  SELECT IFNULL(event_properties.experiment, "(none)") AS experiment,
         IFNULL(model_name, "(none)") AS model_name, IFNULL(model_version, "(none)") AS model_version,
         COUNT(*) AS impressions, SUM(ARRAY_LENGTH(recommended_skus)) AS skus_shown, COUNT(DISTINCT user_id) AS users
  FROM `${dataset}.recommendation_impression_events`
  GROUP BY experiment, model_name, model_version
),
responses AS (
  SELECT event_id, session_id, product_sku, timestamp, "click" AS response
  FROM `${dataset}.product_interaction_events`
  WHERE signal_type = "click"
  UNION ALL
  SELECT event_id, session_id, product_sku, timestamp, "cart_add"
  FROM `${dataset}.cart_modification_events`
  WHERE action = "add"
),
attributed AS (
  SELECT s.experiment, s.model_name, s.model_version,
         COUNT(DISTINCT IF(x.response = "click", x.event_id, NULL)) AS clicks,
         COUNT(DISTINCT IF(x.response = "cart_add", x.event_id, NULL)) AS cart_adds
  FROM shown AS s
  JOIN responses AS x ON x.session_id = s.session_id AND x.product_sku = s.sku AND x.timestamp >= s.shown_at
  GROUP BY s.experiment, s.model_name, s.model_version
)
SELECT
  m.experiment, m.model_name, m.model_version, m.impressions, m.skus_shown, m.users,
  IFNULL(a.clicks, 0) AS clicks,
  IFNULL(a.cart_adds, 0) AS cart_adds,
  SAFE_DIVIDE(IFNULL(a.clicks, 0), m.impressions) AS clicks_per_impression,
  SAFE_DIVIDE(IFNULL(a.cart_adds, 0), m.impressions) AS cart_adds_per_impression
FROM impressions AS m
LEFT JOIN attributed AS a USING (experiment, model_name, model_version)
