"""deploy/ checked without a cluster or Docker: compose.yaml against the Compose specification's
JSON schema, deploy/k8s against Kubernetes' JSON schemas (both shipped offline by PyPI packages),
the environment the manifests set against what the project reads, and the balancer's pinning key."""

import copy
import importlib.util
import inspect
import json
import re
import uuid
from importlib.resources import files
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.30"
SECRETS = {
    "HOTLINE_RASA_TOKEN",
    "HOTLINE_ACTION_TOKEN",
    "HOTLINE_API_KEYS",
    "HOTLINE_AGENT_TOKEN_SECRET",
    "POSTGRES_PASSWORD",
}
# Variables of other programs that the manifests set on purpose: the postgres image's, and uvicorn's
# (checked below to be read by the installed uvicorn).
THIRD_PARTY = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "PGDATA", "FORWARDED_ALLOW_IPS"}


def load_compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def k8s_documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":  # kustomize's file, not a Kubernetes object
            continue
        docs += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def compose_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def engine_entrypoint():
    spec = importlib.util.spec_from_file_location("engine_entrypoint", DEPLOY / "engine" / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Compose -------------------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification():
    errors = [e.message for e in compose_validator().iter_errors(load_compose())]
    assert errors == []


def test_compose_schema_rejects_a_broken_file():
    broken = copy.deepcopy(load_compose())
    broken["services"]["gateway"]["deploy"]["replicas"] = [2]
    broken["services"]["rasa"]["healthcheck"]["intervall"] = "15s"
    messages = " ".join(e.message for e in compose_validator().iter_errors(broken))
    assert "[2] is not of type" in messages
    assert "'intervall'" in messages


def test_compose_runs_every_part_of_the_scale_out():
    services = load_compose()["services"]
    assert {"lb", "gateway", "rasa", "actions", "postgres", "redis"} <= set(services)
    assert services["gateway"]["deploy"]["replicas"] >= 2
    assert services["rasa"]["deploy"]["replicas"] >= 2
    assert services["rasa"]["command"] == ["rasa"] and services["actions"]["command"] == ["actions"]
    # Only the balancer is published; gateways, engines and data stay on the internal network.
    assert [name for name, s in services.items() if s.get("ports")] == ["lb"]


def test_compose_secrets_have_no_defaults():
    text = (DEPLOY / "compose.yaml").read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(\W[^}]*)?\}", text)
        assert uses, f"{name} is not used"
        assert all(u.startswith(":?") for u in uses), f"{name} must be required (${{{name}:?…}}), not defaulted"


# --- Kubernetes ----------------------------------------------------------------------------------


def test_k8s_manifests_follow_the_kubernetes_schemas():
    docs = k8s_documents()
    assert {d["kind"] for _, d in docs} >= {"Deployment", "Service", "StatefulSet", "ConfigMap", "Ingress"}
    for _, doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises on an invalid object


@pytest.mark.parametrize("breakage", ["unknown_field", "wrong_type", "missing_required"])
def test_k8s_validation_rejects_a_broken_manifest(breakage: str):
    deployment = copy.deepcopy(next(d for _, d in k8s_documents() if d["kind"] == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if breakage == "unknown_field":
        container["readinesProbe"] = container.pop("readinessProbe")
    elif breakage == "wrong_type":
        deployment["spec"]["replicas"] = "three"
    else:
        del container["name"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_k8s_probes_and_secrets():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in k8s_documents()}
    probes = {
        name: docs[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"][
            "path"
        ]
        for name in ("gateway", "rasa", "actions")
    }
    assert probes == {"gateway": "/healthz", "rasa": "/", "actions": "/health"}
    # No Secret object here (its values would be real secrets), and every secret is a reference.
    assert not [k for k in docs if k[0] == "Secret"]
    for doc in docs.values():
        for container in containers(doc):
            for env in container.get("env", []):
                if env["name"] in SECRETS:
                    assert "value" not in env and env["valueFrom"]["secretKeyRef"]["name"] == "hotline-secrets"


def test_ingress_pins_a_browser_to_one_gateway():
    ingress = next(d for _, d in k8s_documents() if d["kind"] == "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # quiet WebSockets stay open
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def containers(doc: dict) -> list[dict]:
    pod = doc.get("spec", {}).get("template", {}).get("spec", {})
    return pod.get("containers", [])


# --- Environment variables -----------------------------------------------------------------------


def project_variables() -> set[str]:
    """What the project reads: Settings (HOTLINE_ prefix, DATABASE_URL), the engine entrypoint's and
    the bot's os.environ reads, and the ${VAR}s of the Rasa endpoint files."""
    names = {f"HOTLINE_{field.upper()}" for field in Settings.model_fields} | {"DATABASE_URL"}
    sources = [DEPLOY / "engine" / "entrypoint.py", *sorted((ROOT / "bot").rglob("*.py"))]
    for path in sources:
        text = path.read_text()
        names |= set(
            re.findall(r"""(?:environ\.get|env\.get|getenv|need)\((?:env,\s*)?\s*["']([A-Z][A-Z0-9_]+)["']""", text)
        )
        names |= set(re.findall(r"""^[A-Z_]+_VARIABLE\s*=\s*["']([A-Z][A-Z0-9_]+)["']""", text, re.M))
    for path in ROOT.glob("endpoints*.yml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", path.read_text()))
    return names


def manifest_variables() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, service in load_compose()["services"].items():
        found[f"compose:{name}"] = set(service.get("environment") or {})
    for file, doc in k8s_documents():
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "hotline-config":
            found[f"{file}:configmap"] = set(doc["data"])
        for container in containers(doc):
            found[f"{file}:{doc['metadata']['name']}"] = {e["name"] for e in container.get("env", [])}
    for example in ("env.example", "gateway.env.example"):
        text = (DEPLOY / example).read_text()
        names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
        found[example] = names - {
            "HOTLINE_PUBLIC_PORT",
            "HOTLINE_AUDIOSOCKET_PUBLIC_PORT",
            "HOTLINE_GATEWAY_IMAGE",
            "HOTLINE_ENGINE_IMAGE",
        }  # compose's own, see compose.yaml
    return found


def test_manifests_set_only_variables_the_project_reads():
    known = project_variables() | THIRD_PARTY
    unknown = {where: sorted(names - known) for where, names in manifest_variables().items() if names - known}
    assert unknown == {}


def test_the_variable_check_catches_a_typo():
    assert "HOTLINE_RASA_TOKEN" in project_variables()
    assert "HOTLINE_RASA_TOKN" not in project_variables()
    assert "HOTLINE_REDIS_URL" in project_variables() and "RASA_LOCK_HOST" in project_variables()


def test_uvicorn_reads_forwarded_allow_ips():
    import uvicorn.config

    assert "FORWARDED_ALLOW_IPS" in inspect.getsource(uvicorn.config)


def test_compose_variables_exist_in_the_compose_file():
    text = (DEPLOY / "compose.yaml").read_text()
    for name in (
        "HOTLINE_PUBLIC_PORT",
        "HOTLINE_AUDIOSOCKET_PUBLIC_PORT",
        "HOTLINE_GATEWAY_IMAGE",
        "HOTLINE_ENGINE_IMAGE",
        *SECRETS,
    ):
        assert "${" + name in text


# --- The engine entrypoint ------------------------------------------------------------------------


def test_engine_entrypoint_gives_rasa_what_endpoints_scale_out_reads():
    entry = engine_entrypoint()
    env = {
        "HOTLINE_RASA_TRACKER_URL": "postgresql://hot%40line:p%2Fw@db.internal:6543/rasa",
        "HOTLINE_REDIS_URL": "redis://cache:6380/1",
        "HOTLINE_ACTION_SERVER_URL": "http://actions:5055/",
    }
    out = entry.rasa_env(env)
    wanted = set(re.findall(r"\$\{([A-Z_]+)\}", (ROOT / "endpoints.scale-out.yml").read_text()))
    assert wanted - {"HOTLINE_ACTION_TOKEN"} <= set(out)
    assert out["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert (out["RASA_TRACKER_HOST"], out["RASA_TRACKER_PORT"], out["RASA_TRACKER_DB"]) == (
        "db.internal",
        "6543",
        "rasa",
    )
    assert (out["RASA_TRACKER_USER"], out["RASA_TRACKER_PASSWORD"]) == ("hot@line", "p/w")
    assert (out["RASA_LOCK_HOST"], out["RASA_LOCK_PORT"], out["RASA_LOCK_DB"]) == ("cache", "6380", "1")


def test_engine_entrypoint_agrees_with_hotline_up(tmp_path):
    """The entrypoint repeats runtime/stack.py's rasa_env (the engine runtime may not import the
    gateway's code): both give Rasa the same variables for the same settings."""
    from runtime.stack import ACTION_TOKEN_VARIABLE, rasa_env

    urls = {
        "rasa_tracker_url": "postgresql://hot%40line:p%2Fw@db.internal:6543/rasa",
        "redis_url": "redis://cache:6380/1",
        "action_server_url": "http://actions:5055/",
    }
    settings = Settings(var_dir=tmp_path, action_token="a" * 32, **urls)
    from_hotline_up = {k: v for k, v in rasa_env(settings).items() if k != ACTION_TOKEN_VARIABLE}
    env = {f"HOTLINE_{name.upper()}": value for name, value in urls.items()}
    assert engine_entrypoint().rasa_env(env) == from_hotline_up


def test_engine_entrypoint_runs_rasa_through_the_same_wrapper_as_hotline_up(tmp_path, monkeypatch):
    """Both start `rasa run` through bot/engine_runtime.py (the project's Rasa patch installed)."""
    import runtime.stack as stack

    monkeypatch.setattr(stack, "engine_command", lambda *argv: list(argv))
    settings = Settings(var_dir=tmp_path, action_token="a" * 32, rasa_token="r" * 32)
    from_hotline_up = stack.rasa_command(settings, tmp_path / "model.tar.gz", 5005)
    from_image = engine_entrypoint().rasa_argv({"HOTLINE_RASA_TOKEN": "r" * 32})
    wrapper = ["python", "-m", "bot.engine_runtime", "run", "--enable-api"]
    assert from_hotline_up[:5] == from_image[:5] == wrapper


def test_engine_entrypoint_refuses_to_start_without_secrets(monkeypatch):
    entry = engine_entrypoint()
    monkeypatch.delenv("HOTLINE_ACTION_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="HOTLINE_ACTION_TOKEN"):
        entry.main(["entrypoint.py", "rasa"])
    monkeypatch.setenv("HOTLINE_ACTION_TOKEN", "a" * 24)
    monkeypatch.delenv("HOTLINE_RASA_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="HOTLINE_RASA_TOKEN"):
        entry.rasa_argv({})
    monkeypatch.delenv("HOTLINE_API_KEYS", raising=False)
    with pytest.raises(SystemExit, match="HOTLINE_API_KEYS"):
        entry.actions_env({})


# --- The balancer's pinning key --------------------------------------------------------------------


def nginx_route_key(cookie: str, conversation_arg: str, request_id: str = "rid") -> str:
    """Evaluate nginx.conf's map for $hotline_route_key as nginx does: the first matching regex, in
    order, its value naming a capture of that regex; else the default."""
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    block = re.search(
        r'map "\$cookie_hotline_route\|\$arg_conversation_id" \$hotline_route_key \{\n(.*?)\n\s*\}\n', conf, re.S
    )
    assert block, "the map of the routing key is missing"
    subject = f"{cookie}|{conversation_arg}"
    for line in block.group(1).strip().splitlines():
        pattern, value = re.fullmatch(r"\s*(\S+)\s+\$(\w+);\s*", line).groups()
        if pattern == "default":
            assert value == "request_id"
            return request_id
        match = re.search(pattern.strip('"').removeprefix("~").replace("(?<", "(?P<"), subject)
        if match:
            return match.group(value)
    raise AssertionError("no default in the map")


def test_balancer_hashes_gateways_on_the_route_key():
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    upstream = re.search(r"upstream gateways \{(.*?)\}", conf, re.S).group(1)
    assert re.search(r"^\s*hash \$hotline_route_key consistent;", upstream, re.M)
    assert re.search(r"location ~ \^/ws/\(chat\|agent\|media\)\$ \{[^}]*Upgrade \$http_upgrade", conf)
    # The cookie carries the key the first request was hashed on, and only when there is none yet.
    assert 'default            "hotline_route=$request_id;' in conf


def test_route_key_is_the_cookie_then_the_conversation_id():
    conversation = uuid.uuid4()
    # The query the web chat builds: encodeURIComponent('web:<uuid>') (connection.js).
    js = (ROOT / "channels" / "web" / "static" / "connection.js").read_text()
    assert "'&conversation_id=' + encodeURIComponent(this.conversationId)" in js
    encoded, plain = f"web%3A{conversation}", f"web:{conversation}"
    cookie = uuid.uuid4().hex  # the form of nginx's $request_id
    assert nginx_route_key(cookie, encoded) == cookie
    assert nginx_route_key("", encoded) == nginx_route_key("", plain) == str(conversation)
    assert nginx_route_key("", "") == "rid"  # a new visitor: spread, not all on one gateway
    assert nginx_route_key("forged", encoded) == str(conversation)  # only nginx-made cookies count
    assert nginx_route_key("", "web%3Anot-a-uuid") == "rid"
