-- migrate:up transaction:false
-- Superseded by act_of_sale_line_order_measures_idx (the previous migration), which starts with
-- act_of_sale_id: one index less to maintain on every line write. Dropped concurrently, alone and
-- outside a transaction (transaction:false), like a concurrent build.
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-lock-timeout, require-statement-timeout
drop index concurrently if exists act_of_sale_line_act_of_sale_id_idx;

-- migrate:down transaction:false
create index concurrently if not exists act_of_sale_line_act_of_sale_id_idx on act_of_sale_line (act_of_sale_id);
