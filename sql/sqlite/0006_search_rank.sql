-- Issue 13: relevance. The search document now keeps the name fields' words
-- before a "|" and the description's after it (watchstore/search.h), so a
-- query's rank can be computed from the document. Every product is indexed
-- again: its rows go, and the adapter indexes each product without a
-- product_search row right after migrating (in the same way as after 0004).
DELETE FROM product_search;
DELETE FROM product_search_keys;
