"""1C:Enterprise through the CommerceML 2 "exchange with site" protocol at /exchange.

* `protocol`  — the exchange user, sessions (the cookie of `checkauth`), replies, uploaded files;
* `catalog_reader` — streaming reader of import.xml / offers.xml into plain items;
* `catalog_exchange` — `mode=import` in steps (progress … success), through services/onec_catalog;
* `orders_document` — the CommerceML orders document 1C pulls with `mode=query`: every sale (till,
  web shop, manager) and return, with VAT per line, in the schema's element order;
* `sale_exchange` — query / success over the outbox, and 1C's status file (`mode=file`);
* `status` — what the administrator's page /admin/onec shows;
* `routes` — the thin blueprint.
"""
