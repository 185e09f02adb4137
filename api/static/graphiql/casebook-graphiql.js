// Casebook's GraphiQL page: an external script (the page's CSP allows no inline script).
(function () {
  "use strict";

  // The headers editor may hold comment lines (// or #), as prefilled below. GraphiQL
  // parses that editor with JSON.parse; in JSON a line can only start outside a string,
  // so dropping such lines changes no valid JSON. Comments alone mean "no headers".
  var parse = JSON.parse;
  JSON.parse = function (text, reviver) {
    if (typeof text === "string" && /^[ \t]*(\/\/|#)/m.test(text)) {
      text = text.replace(/^[ \t]*(\/\/|#).*$/gm, "");
      if (text.trim() === "") {
        return undefined;
      }
    }
    return parse.call(JSON, text, reviver);
  };

  var HEADERS = [
    "// Signed-in requests carry an access token:",
    "// the accessToken of signUp, logIn or",
    "// refreshSession. Remove the // below and",
    "// paste the token in place of <accessToken>.",
    '// {"Authorization": "Bearer <accessToken>"}',
    "",
  ].join("\n");

  var QUERY = [
    "# Casebook GraphiQL. Sign up (or log in), then",
    "# put the accessToken in the Headers pane.",
    "#",
    "# mutation {",
    '#   signUp(input: {email: "you@example.org",',
    '#     password: "correct horse 42",',
    '#     name: "Your Name", accountName: "Practice"}) {',
    "#     accessToken refreshToken",
    "#     userErrors { code message field }",
    "#   }",
    "# }",
    "",
    "{ catalog { currency plans { code name } } }",
    "",
  ].join("\n");

  var fetcher = GraphiQL.createFetcher({
    url: window.location.origin + window.location.pathname,
    enableIncrementalDelivery: false,
  });

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: QUERY,
      defaultHeaders: HEADERS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
