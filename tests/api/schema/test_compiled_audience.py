"""The compiled executor's generated code asks the one audience function (issue 20): no
copy of the rule lives in the generated source, and the plan is really taken (a name
missing from it would only show as a silent fallback)."""
import schema.codegen
import schema.compiled
from schema.rules import sees
from tests.support.dossiers import practice, teammate

TEAM = "{ me { account { teammates { id role } } } }"


async def test_t6_generated_code_calls_the_audience_function(api, monkeypatch):
    owner = await practice(api)
    await teammate(api, owner.account_id, "ADMIN")
    asked = []

    def counting(context, audience, obj):
        asked.append(audience)
        return sees(context, audience, obj)

    monkeypatch.setattr(schema.codegen, "sees", counting)
    monkeypatch.setattr(schema.compiled, "_PLANS", {})
    api.differential = False
    body = await api(TEAM, token=owner.token)

    assert len(body["data"]["me"]["account"]["teammates"]) == 2
    assert [audience.value for audience in asked] == ["team", "team"]
    source = schema.codegen.generate.__code__.co_consts
    assert not any("may_see" in str(const) for const in source)
