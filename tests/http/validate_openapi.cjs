// Validates an OpenAPI document with @apidevtools/swagger-parser (the
// stricter of the two linters): schema, $refs, duplicate operationIds.
'use strict';
const path = require('path');
const tools = path.resolve(__dirname, '../../tools/node_modules');
const SwaggerParser = require(path.join(tools, '@apidevtools/swagger-parser'));

const file = process.argv[2];
SwaggerParser.validate(file)
  .then((api) => {
    const paths = Object.keys(api.paths || {}).length;
    console.log(`${file}: valid ${api.openapi} document, ${paths} paths`);
  })
  .catch((err) => {
    console.error(`${file}: ${err.message}`);
    process.exit(1);
  });
