// A Casebook client in TypeScript with Apollo Client: sign up, create dossiers, then page
// through them forwards and backwards. Every document is sent by its hash alone (a
// trusted document), so it also runs against a server with CASEBOOK_TRUSTED_DOCUMENTS=only.
//
//   npm install && npm run codegen && npm start -- http://127.0.0.1:8000/graphql
import { ApolloClient, HttpLink, InMemoryCache, from } from "@apollo/client/core";
import { setContext } from "@apollo/client/link/context";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import type { DocumentNode } from "graphql";

import type { DossierPageQuery, DossierPageQueryVariables } from "./gql/graphql";
import { CreateDossier, DossierPage, SignUp } from "./operations";

type UserError = { code: string; message: string; field?: string[] | null };

function accepted<T extends { userErrors: UserError[] }>(payload: T, what: string): T {
  if (payload.userErrors.length > 0) {
    throw new Error(`${what}: ${payload.userErrors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
  }
  return payload;
}

export function casebookClient(url: string, token: () => string | null) {
  let rateLimit: string | null = null;
  const http = new HttpLink({
    uri: url,
    // Keep the budget the server reports (IETF RateLimit field) for whoever wants to show it.
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      rateLimit = response.headers.get("ratelimit") ?? rateLimit;
      return response;
    },
  });
  const auth = setContext((_, { headers }) => {
    const current = token();
    return { headers: { ...headers, ...(current ? { authorization: `Bearer ${current}` } : {}) } };
  });
  // The hash GraphQL Code Generator computed for the manifest: no hashing at run time.
  const persisted = createPersistedQueryLink({
    generateHash: (document: DocumentNode) => (document as unknown as { __meta__: { hash: string } }).__meta__.hash,
  });
  const client = new ApolloClient({
    link: from([auth, persisted, http]),
    cache: new InMemoryCache(),
    // Sent as apollographql-client-name / -version (allowed by CORS_ALLOW_HEADERS).
    clientAwareness: { name: "casebook-example-ts", version: "1.0.0" },
    defaultOptions: { query: { fetchPolicy: "no-cache" } },
  });
  return { client, rateLimit: () => rateLimit };
}

export async function run(url: string, email: string) {
  let token: string | null = null;
  const { client, rateLimit } = casebookClient(url, () => token);

  const signedUp = await client.mutate({
    mutation: SignUp,
    variables: { input: { email, password: "correct horse 42", name: "Dana Dietician", accountName: "Dana's Practice" } },
  });
  token = accepted(signedUp.data!.signUp, "signUp").accessToken ?? null;

  const names = ["Ada", "Bo", "Cy", "Di", "Ed"];
  for (const clientName of names) {
    const created = await client.mutate({ mutation: CreateDossier, variables: { input: { clientName } } });
    accepted(created.data!.createDossier, "createDossier");
  }

  const pageOf = async (variables: DossierPageQueryVariables): Promise<DossierPageQuery["dossiers"]> =>
    (await client.query({ query: DossierPage, variables })).data.dossiers;

  // Forwards two at a time, then backwards two at a time: every dossier once, in order.
  const forwards: string[] = [];
  let after: string | null | undefined = null;
  let totalCount = 0;
  for (;;) {
    const page = await pageOf({ first: 2, after });
    totalCount = page.totalCount;
    forwards.push(...page.nodes.map((dossier) => dossier.clientName));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const backwards: string[] = [];
  let before: string | null | undefined = null;
  for (;;) {
    const page = await pageOf({ last: 2, before });
    backwards.unshift(...page.nodes.map((dossier) => dossier.clientName));
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  return { email, totalCount, forwards, backwards, rateLimit: rateLimit() };
}

const url = process.argv[2] ?? "http://127.0.0.1:8000/graphql";
const email = process.argv[3] ?? `demo-${Date.now()}@example.org`;
run(url, email).then(
  (outcome) => console.log(JSON.stringify(outcome)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
