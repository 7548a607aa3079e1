-- A small seed for a fresh environment: the shop's settings and one master person.
-- Safe to re-run: existing rows are left as they are.
insert into configuration_setting (setting_key, setting_value) values
  ('shop_domain', '"demo-store.myshopify.com"'),
  ('shop_timezone', '"America/New_York"'),
  ('currency', '"USD"')
on conflict (setting_key) do nothing;

insert into person (email, full_name, role_name) values
  ('owner@example.com', 'Store Owner', 'master')
on conflict (email) do nothing;
