"""Personal data never leaves the internal roles: a citizen's phone, ID and bank card numbers,
said in chat and posted through Open311 in several written forms, appear neither in the public
Open311 views nor in any log file of the running stack (gateway, Rasa, action server, supervisor)."""

import asyncio
import re

import httpx
import pytest

from normalize.numerals import spoken_digits_to_ascii
from tests.helpers import ChatClient, texts

pytestmark = pytest.mark.e2e

PHONE, PHONE_2, CARD = "13911112222", "13966667777", "6222021234567890123"
ID_NUMBER, ID_X = "110101199003071234", "11010119850612345X"
SECRETS = (PHONE, PHONE_2, ID_NUMBER, ID_X, CARD)
SEPARATORS = re.compile(r"[\s\-‐–—－_()（）+＋]")


def leaked(text: str) -> list[str]:
    """The secrets found in a text, in any form: ASCII, full-width or Chinese digits, grouped."""
    flat = SEPARATORS.sub("", spoken_digits_to_ascii(text)).upper()
    return [s for s in SECRETS if s in flat]


async def complain_in_chat(stack) -> str:
    """A complaint with the numbers in it, through the intake form to a work order."""
    chat = await ChatClient.connect(stack.ws)
    await chat.recv()
    reply = texts(
        await chat.say(
            f"我要投诉 朝阳区望京西园三区的健身房老板扣了我的身份证{ID_NUMBER}不还 还用我的银行卡6222 0212 3456 7890 123刷了钱"
        )
    )
    answers = {
        "核对": "对",
        "哪个区": "朝阳区望京西园三区",
        "什么时候": "昨天晚上十点",
        "电话": "幺三九 一一一一 二二二二",
    }
    for _ in range(8):
        if "已为您登记工单" in reply:
            break
        said = next((a for ask, a in answers.items() if ask in reply), None)
        assert said is not None, reply
        reply = texts(await chat.say(said))
    assert "已为您登记工单" in reply, reply
    await chat.say(f"对了 我另一个手机是１３９６６６６７７７７ 身份证{ID_X}")  # after the order: logged, stored
    await chat.close()
    return re.search(r"\d{11}", reply.replace(" ", "")).group(0)


async def test_numbers_never_reach_open311_or_the_logs(stack):
    number_chat = await complain_in_chat(stack)
    key = stack.secret("api_key")
    services = httpx.get(f"{stack.http}/open311/v2/services.json").json()
    code = next(s["service_code"] for s in services if s["group"] == "城乡建设")
    form = {
        "api_key": key,
        "service_code": code,
        "attribute[district]": "西城区",
        "description": f"物业扣押我的身份证{ID_X[:6]} {ID_X[6:14]} {ID_X[14:]}和银行卡{CARD}，联系我一三九-六六六六-七七七七",
        "address_string": f"西城区金融街1号 电话{PHONE}",
    }
    created = httpx.post(f"{stack.http}/open311/v2/requests.json", data=form)
    assert created.status_code == 201, created.text
    number_open311 = created.json()[0]["service_request_id"]
    # a bad classify request with the numbers: refused without a traceback of the text in the logs
    bad = httpx.post(f"{stack.http}/api/classify", json={"text": f"电话{PHONE}\x00身份证{ID_NUMBER}"})
    assert bad.status_code == 422 and not leaked(bad.text)

    public = {
        "list": httpx.get(f"{stack.http}/open311/v2/requests.json").text,
        "chat order": httpx.get(f"{stack.http}/open311/v2/requests/{number_chat}.json").text,
        "open311 order": httpx.get(f"{stack.http}/open311/v2/requests/{number_open311}.json").text,
    }
    assert number_chat in public["list"] and number_open311 in public["list"]
    assert "139****2222" in public["chat order"] or "110101********1234" in public["chat order"], public["chat order"]
    assert {name: leaked(body) for name, body in public.items() if leaked(body)} == {}

    await asyncio.sleep(1.5)  # the supervisor copies each process's output line by line
    logs = sorted(stack.var_dir.rglob("*.log"))
    assert {p.name for p in logs} >= {"gateway.log", "rasa.log", "actions.log"}
    found = {str(p.relative_to(stack.var_dir)): leaked(p.read_text(errors="replace")) for p in logs}
    assert {name: secrets for name, secrets in found.items() if secrets} == {}
