-- Canonical schema of the analytical store (DuckDB). Money is DECIMAL(18,2) in the loan's currency;
-- dates are DATE; as_of is always a month-end. Keys, not-null and allowed values are declared here and
-- checked again, with foreign keys, by data/contracts.py before a generation is published.

CREATE TABLE IF NOT EXISTS borrowers (
    borrower_id      VARCHAR PRIMARY KEY,
    borrower_type    VARCHAR NOT NULL CHECK (borrower_type IN ('retail', 'business')),
    name_enc         VARCHAR,                   -- AES-GCM token (data/pii.py); never plain text
    national_id_enc  VARCHAR,                   -- AES-GCM token (ID card or business registration number)
    phone_enc        VARCHAR,                   -- AES-GCM token
    address_enc      VARCHAR,                   -- AES-GCM token
    national_id_hash VARCHAR,                   -- keyed HMAC-SHA256, for matching without decrypting
    gender           VARCHAR,
    birth_year       INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100),
    education        VARCHAR,
    marital_status   VARCHAR,
    region           VARCHAR,
    city             VARCHAR,
    monthly_income   DECIMAL(18,2) CHECK (monthly_income IS NULL OR monthly_income >= 0),
    locale           VARCHAR,
    source           VARCHAR NOT NULL DEFAULT 'import'
);

CREATE TABLE IF NOT EXISTS loans (
    loan_id           VARCHAR PRIMARY KEY,
    borrower_id       VARCHAR NOT NULL,
    product           VARCHAR NOT NULL,            -- consumer, card, sme, mortgage (or the source's own)
    product_type      VARCHAR NOT NULL DEFAULT 'instalment' CHECK (product_type IN ('instalment', 'revolving')),
    region            VARCHAR,
    branch            VARCHAR,
    officer           VARCHAR,
    origination_date  DATE NOT NULL,
    maturity_date     DATE,
    principal         DECIMAL(18,2) NOT NULL CHECK (principal >= 0),   -- disbursed amount (0 allowed for a card)
    credit_limit      DECIMAL(18,2) CHECK (credit_limit IS NULL OR credit_limit >= 0),
    annual_rate       DOUBLE CHECK (annual_rate IS NULL OR annual_rate BETWEEN 0 AND 1),  -- 0.085 = 8.5% a year
    term_months       INTEGER CHECK (term_months IS NULL OR term_months > 0),
    instalment        DECIMAL(18,2) CHECK (instalment IS NULL OR instalment >= 0),        -- scheduled monthly payment
    payment_day       INTEGER CHECK (payment_day IS NULL OR payment_day BETWEEN 1 AND 31),
    collateral_type   VARCHAR,                      -- none, property, vehicle, equipment, guarantee
    collateral_value  DECIMAL(18,2) CHECK (collateral_value IS NULL OR collateral_value >= 0),
    grade             VARCHAR,                      -- origination risk grade
    purpose           VARCHAR,
    currency          VARCHAR NOT NULL DEFAULT 'CNY',
    source            VARCHAR NOT NULL DEFAULT 'import'
);

CREATE TABLE IF NOT EXISTS schedules (
    loan_id        VARCHAR NOT NULL,
    instalment_no  INTEGER NOT NULL CHECK (instalment_no >= 1),
    due_date       DATE NOT NULL,
    principal_due  DECIMAL(18,2) NOT NULL CHECK (principal_due >= 0),
    interest_due   DECIMAL(18,2) NOT NULL CHECK (interest_due >= 0),
    fee_due        DECIMAL(18,2) NOT NULL DEFAULT 0 CHECK (fee_due >= 0)
);

CREATE TABLE IF NOT EXISTS payments (
    payment_id          VARCHAR NOT NULL,
    loan_id             VARCHAR NOT NULL,
    payment_date        DATE NOT NULL,
    amount              DECIMAL(18,2) NOT NULL,     -- negative on a reversal
    channel             VARCHAR NOT NULL,           -- auto_debit, bank_transfer, app, counter, collection_agent
    is_reversal         BOOLEAN NOT NULL DEFAULT FALSE,
    reverses_payment_id VARCHAR
);

CREATE TABLE IF NOT EXISTS performance (
    loan_id          VARCHAR NOT NULL,
    as_of            DATE NOT NULL,                 -- month-end
    balance          DECIMAL(18,2) NOT NULL CHECK (balance >= 0),  -- outstanding principal; on a charged_off row the amount charged off
    dpd              INTEGER NOT NULL CHECK (dpd >= 0),
    bucket           VARCHAR NOT NULL CHECK (bucket IN ('current','1-30','31-60','61-90','91-120','121-150',
                                                        '151-180','180+','charged_off','paid_off')),
    amount_due       DECIMAL(18,2) CHECK (amount_due IS NULL OR amount_due >= 0),    -- scheduled in the month
    amount_paid      DECIMAL(18,2),                                                  -- net paid in the month
    overdue_amount   DECIMAL(18,2) CHECK (overdue_amount IS NULL OR overdue_amount >= 0),
    credit_limit     DECIMAL(18,2),
    restructured     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE IF NOT EXISTS bureau (
    borrower_id              VARCHAR NOT NULL,
    as_of                    DATE NOT NULL,          -- month-end of the bureau pull
    score                    INTEGER CHECK (score IS NULL OR score BETWEEN 300 AND 950),
    inquiries_30d            INTEGER CHECK (inquiries_30d IS NULL OR inquiries_30d >= 0),
    delinquencies_elsewhere  INTEGER CHECK (delinquencies_elsewhere IS NULL OR delinquencies_elsewhere >= 0),
    total_debt               DECIMAL(18,2) CHECK (total_debt IS NULL OR total_debt >= 0)
);

CREATE TABLE IF NOT EXISTS alt_signals (
    borrower_id      VARCHAR NOT NULL,
    as_of            DATE NOT NULL,                  -- month-end
    salary_deposit   DECIMAL(18,2),                  -- salary credited in the month (0 = none)
    account_balance  DECIMAL(18,2),                  -- deposit balance at month-end
    utilisation      DOUBLE CHECK (utilisation IS NULL OR utilisation >= 0),  -- revolving balance / limit
    litigation       BOOLEAN NOT NULL DEFAULT FALSE,
    negative_news    BOOLEAN NOT NULL DEFAULT FALSE,
    phone_reachable  BOOLEAN NOT NULL DEFAULT TRUE,
    address_changed  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE IF NOT EXISTS macro (
    as_of        DATE PRIMARY KEY,                  -- month-end
    macro_index  DOUBLE NOT NULL                    -- 100 = long-run average economy; lower = worse
);

CREATE TABLE IF NOT EXISTS collection_actions (
    action_id       VARCHAR NOT NULL,
    loan_id         VARCHAR NOT NULL,
    action_date     DATE NOT NULL,
    channel         VARCHAR NOT NULL,               -- sms, app_push, robo_call, agent_call, letter, field_visit, legal, agency
    agent           VARCHAR,
    outcome         VARCHAR NOT NULL,               -- contacted, no_answer, wrong_number, refused, promise_to_pay, paid, dispute, hardship, sent
    promise_amount  DECIMAL(18,2) CHECK (promise_amount IS NULL OR promise_amount > 0),
    promise_date    DATE,
    CHECK ((outcome = 'promise_to_pay') = (promise_amount IS NOT NULL AND promise_date IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS reviews (
    review_id       VARCHAR NOT NULL,
    loan_id         VARCHAR NOT NULL,
    review_date     DATE NOT NULL,
    review_type     VARCHAR NOT NULL CHECK (review_type IN ('first', 'periodic', 'ad_hoc')),
    reviewer        VARCHAR NOT NULL,
    findings        VARCHAR,
    classification  VARCHAR CHECK (classification IS NULL OR classification IN
                                   ('normal', 'special_mention', 'substandard', 'doubtful', 'loss')),
    follow_up       VARCHAR
);

CREATE TABLE IF NOT EXISTS alerts (
    alert_id     VARCHAR NOT NULL,
    loan_id      VARCHAR NOT NULL,
    raised_date  DATE NOT NULL,
    signal       VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status       VARCHAR NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved', 'escalated')),
    evidence     VARCHAR
);

CREATE TABLE IF NOT EXISTS dispositions (
    disposition_id    VARCHAR NOT NULL,
    loan_id           VARCHAR NOT NULL,
    disposition_date  DATE NOT NULL,
    kind              VARCHAR NOT NULL CHECK (kind IN ('restructure', 'charge_off', 'write_off', 'sale',
                                                       'recovery', 'settlement', 'collection_fee', 'litigation')),
    amount            DECIMAL(18,2) NOT NULL,       -- amount restructured / charged off / written off / sale price / recovered
    details           VARCHAR
);

CREATE TABLE IF NOT EXISTS scores (
    loan_id        VARCHAR NOT NULL,
    as_of          DATE NOT NULL,                   -- month-end scored
    target         VARCHAR NOT NULL,                -- model target: behaviour, early_warning, ...
    model_version  VARCHAR NOT NULL,                -- registry version (LOANWATCH_HOME/models/<target>/<version>)
    pd             DOUBLE NOT NULL CHECK (pd BETWEEN 0 AND 1),
    grade          VARCHAR NOT NULL,                -- master-scale grade, G1 = lowest PD (setting pd_grade_edges)
    reason_1       VARCHAR,                         -- reason codes (models/catalog.py REASONS), largest first;
    reason_2       VARCHAR,                         -- NULL when not precomputed (only the riskiest loans are)
    reason_3       VARCHAR
);
