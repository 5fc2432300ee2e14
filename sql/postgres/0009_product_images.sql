-- Issue 13 item 4: galleries. A product's pictures, in display order, each
-- with its alt text and an optional variant (NULL: the whole watch; else the
-- variant whose dial it shows). products.image_url stays as the cover the
-- listing cards read without a join: the first whole-watch picture, written
-- by the adapter with every product write (CoverImageUrl).
--
-- Existing data is kept: every non-empty image_url becomes its product's
-- first picture, described by the watch's brand and model (the model
-- alone where both pass the 200 bytes an alt text may have).

CREATE TABLE product_images (
  product_id bigint  NOT NULL REFERENCES products (id),
  position   integer NOT NULL CHECK (position >= 0),
  url        text    NOT NULL CHECK (length(url) BETWEEN 1 AND 300),
  alt        text    NOT NULL CHECK (length(alt) BETWEEN 1 AND 200),
  variant_id bigint  REFERENCES variants (id),
  PRIMARY KEY (product_id, position)
);

INSERT INTO product_images (product_id, position, url, alt, variant_id)
SELECT id, 0, image_url, CASE WHEN octet_length(brand || ' ' || model) <= 200
                THEN brand || ' ' || model ELSE model END, NULL
FROM products WHERE image_url <> '';
