-- Feature rows of scored month-ends (table features_scored, models/features_scored.py): what batch scoring built
-- for the whole book, kept so one loan's explanation reads its row instead of planning the feature query.
-- /*FEATURE_COLUMNS*/ is replaced by fixed text from the feature frame's columns (never a user value).

-- name: create
-- the table when missing: keys, the feature set that built the row (a hash of the feature code), then the
-- features in the order build_features returns them (numbers FLOAT, categories VARCHAR)
CREATE TABLE IF NOT EXISTS features_scored (
    loan_id      VARCHAR NOT NULL,
    as_of        DATE NOT NULL,                   -- month-end scored
    feature_set  VARCHAR NOT NULL
    /*FEATURE_COLUMNS*/
)

-- name: columns
-- the table's column names and types in order (no rows when the table is missing)
SELECT column_name, data_type FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'features_scored'
ORDER BY column_index

-- name: drop
-- forgets every stored row (the inputs changed, or the columns no longer match the feature code)
DROP TABLE IF EXISTS features_scored

-- name: delete_month
-- replaces a month-end's rows; rows of another feature set can never be read again, so they go too
DELETE FROM features_scored WHERE as_of = $as_of OR feature_set <> $feature_set

-- name: insert
-- the month's rows from the registered Arrow table new_features (a build_features frame), by column name.
-- The frame comes ordered by loan_id and DuckDB keeps insertion order, so a point lookup reads one row group
-- (by its loan_id min/max), not the whole table; an ORDER BY here would add a second sort (1-1.5 s at 1M).
INSERT INTO features_scored BY NAME
SELECT * REPLACE (loan_id::VARCHAR AS loan_id, as_of::DATE AS as_of), $feature_set AS feature_set
FROM new_features

-- name: one_row
-- one loan's stored row at month-end $as_of built by feature set $feature_set: loan_id, as_of, the features
-- (no row when that month was not scored with this feature code or the loan was not in its population)
SELECT * EXCLUDE (feature_set) FROM features_scored
WHERE as_of = $as_of AND loan_id = $loan AND feature_set = $feature_set

-- name: contracts
-- the data contracts of the stored rows, and that every loan the run scored at $as_of (targets $targets) has
-- its row: rows breaking each one (0 when it may be published)
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM features_scored GROUP BY as_of, loan_id HAVING count(*) > 1))
                                                                                      AS duplicate_keys,
    (SELECT count(*) FROM features_scored WHERE loan_id IS NULL OR as_of IS NULL)     AS null_keys,
    (SELECT count(*) FROM features_scored f ANTI JOIN loans l ON f.loan_id = l.loan_id) AS unknown_loans,
    (SELECT count(*) FROM features_scored WHERE as_of <> last_day(as_of))             AS not_month_ends,
    (SELECT count(*) FROM scores s ANTI JOIN features_scored f ON f.as_of = s.as_of AND f.loan_id = s.loan_id
     WHERE s.as_of = $as_of AND s.target IN (SELECT unnest($targets::VARCHAR[])))     AS scored_without_row

-- name: size
-- rows and approximate bytes on disk (distinct storage blocks times the block size) of the stored rows
SELECT (SELECT count(*) FROM features_scored) AS rows,
       (SELECT count(DISTINCT block_id) FROM pragma_storage_info('features_scored') WHERE block_id >= 0)
         * (SELECT max(block_size) FROM pragma_database_size()) AS bytes
