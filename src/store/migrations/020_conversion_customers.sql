-- A conversion asks whether its customer bought before (rules for first and repeat purchases):
-- an index on (program, customer) answers from one index range instead of a scan of the
-- program's conversions, so the cost of a conversion does not grow with the table.
CREATE INDEX conversions_customer ON conversions (program_id, customer_id);
