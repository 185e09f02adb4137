// GraphQL Code Generator: types for every document in src/ from the repository's
// schema.graphql (the same text a server serves at GET /schema.graphql), and
// src/gql/persisted-documents.json, the manifest `casebook documents add` registers.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      presetConfig: { persistedDocuments: { hashAlgorithm: "sha256" }, fragmentMasking: false },
      config: { scalars: { DateTime: "string", Date: "string", Decimal: "string" }, enumsAsTypes: true },
    },
  },
};

export default config;
