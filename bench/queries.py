"""The GraphQL requests the benchmark sends (the dossier page is the one bench.plain_app
mirrors field for field)."""

GRAPHQL_PAGE = """query DossierPage { dossiers(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node {
  id clientName reference archived
  entries(first: 5) { edges { node { id kind body version writtenAt author { email } } } }
  shares { email status access }
  assignees { id role user { email } } } } } }"""

LOG_IN = """mutation($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) { accessToken userErrors { code } } }"""
ONE_DOSSIER = """query OneDossier($id: ID!) { dossier(id: $id) { id clientName reference activeThisMonth
  entries(first: 20) { pageInfo { hasNextPage } edges { node { id kind body version writtenAt author { email } } } }
  measurements { metric value unit measuredAt } shares { email status } assignees { role user { email } } } }"""
ADD_ENTRY = """mutation AddEntry($input: AddEntryInput!) {
  addEntry(input: $input) { entry { id version } userErrors { code message } } }"""
SHARE = """mutation Share($input: ShareDossierInput!) {
  shareDossier(input: $input) { share { id status } userErrors { code message } } }"""
SEARCH = """query Search($search: String!) { dossiers(first: 20, search: $search) {
  pageInfo { hasNextPage } edges { cursor node { id clientName reference } } } }"""
# Terms a practice types: a common surname part, a rare accented name, a first name.
SEARCH_TERMS = ("van", "zoe bronte", "jansen", "lotte", "muller")
