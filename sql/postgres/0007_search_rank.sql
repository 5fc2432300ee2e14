-- Issue 13: relevance. The search document now keeps the name fields' words
-- before a "|" and the description's after it (watchstore/search.h), so a
-- query's rank can be computed from the document. Every product is indexed
-- again: `migrate` indexes each product whose search_text is NULL right after
-- applying this file (in batches, as after 0005). Servers of the previous
-- release read the old and new documents alike (they never look for "|").
UPDATE products SET search_text = NULL WHERE search_text IS NOT NULL;
