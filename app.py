"""Composition root of the gateway: builds settings, database, engine client, router and channels,
and mounts the HTTP/WebSocket routes. Run with `uvicorn app:create_app --factory`."""

import asyncio
import logging
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import routes as gateway_routes
from api.routes import STATIC_DIR, action_server_health, database_health
from channels.agent.wiring import AgentDeskWiring
from channels.dashboard.routes import include_dashboard
from channels.phone.outbound import OutboundCalls
from channels.phone.wiring import PhoneWiring
from channels.telegram import webhook as telegram_webhook, wiring as telegram_wiring
from channels.telegram.voice_reply import make_speak
from channels.unit.routes import include_unit_console
from channels.web import chat_socket, speech_route
from channels.web.chat_socket import WebChat
from channels.web.greeting import load_greeting
from channels.web.session import ChatLimits
from channels.web.voice_messages import VoiceMessages
from conversation.distress import DistressDetector
from conversation.engine import RasaEngine
from conversation.router import ConversationRouter
from conversation.store import ConversationStore
from core.clock import utcnow
from core.db import init_db, make_engine
from core.metrics import Metrics
from core.phone_proof import PhoneProof
from core.rate_limit import KeyedBuckets
from core.security_headers import SecurityHeaders, widget_origins
from core.settings import Settings
from followup.pbx import survey_calls_from
from followup.wiring import ClosedLoopWiring, UnitDirectory, work_orders_with_units
from knowledge_base import routes as kb_routes, wiring as kb_wiring
from places.gazetteer import Gazetteer
from safety.training import build_detector
from tickets import classify_route, open311, routes as tickets_routes
from tickets.category_catalog import CategoryCatalog
from tickets.classifier import TextClassifier
from tickets.classifier_cache import dense_embedder, load_or_train, load_or_train_request_types
from tickets.intake import IntakeExtractor
from tickets.referral import Referrals
from tickets.units import UnitRegistry
from voice.asr import create_speech_to_text
from voice.decode import decode_upload

log = logging.getLogger(__name__)
ROOT_DIR = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    db = make_engine(settings.database)
    metrics = Metrics()
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
    engine = RasaEngine(
        settings.rasa_base_urls,
        http,
        timeout_s=settings.engine_timeout_s,
        max_in_flight=settings.engine_max_in_flight,
        token=settings.rasa_auth_token,
    )
    store = ConversationStore(db)
    gazetteer = Gazetteer.builtin()
    extractor = IntakeExtractor(gazetteer)
    embedder = dense_embedder(settings)
    phone_proof = PhoneProof(settings.agent_token_key)  # gateways behind one address share the key
    catalog = CategoryCatalog.load()
    units = UnitDirectory(UnitRegistry(db), catalog)
    work_orders = work_orders_with_units(db, units)  # dispatched at filing; working-day deadlines
    if settings.classifier_model:
        classifier = TextClassifier.load(settings.classifier_model).use_embedder(
            embedder.passages if embedder else None
        )
    else:
        classifier = load_or_train(catalog, embedder)

    request_types = load_or_train_request_types()  # models/request-type-<hash>.npz; trained by `hotline train`

    def category_of(text: str) -> str | None:
        return classifier.predict(text).code

    # Bus, channel registry, accounts, the AgentDesk (work orders from the desk), /api/agent, /ws/agent.
    desk_wiring = AgentDeskWiring(
        settings, db, store, work_orders, catalog, category_of, reset_dialogue=engine.reset, extractor=extractor
    )
    web = desk_wiring.web
    # The closed loop: actions of units and supervisors, the result and survey to the citizen, deadlines.
    outbound_calls = OutboundCalls()  # survey calls this gateway placed, until the PBX connects them
    loop = ClosedLoopWiring(
        settings,
        db,
        http,
        desk_wiring.bus,
        store,
        desk_wiring.registry.deliver,
        units,
        work_orders,
        survey_calls_from(settings, outbound_calls),
    )
    conversations = ConversationRouter(
        store,
        engine,
        metrics,
        enrich=lambda text: extractor.extract(text, utcnow()),
        desk=desk_wiring.desk,
        mood=DistressDetector(),
        safety=build_detector(embedder),
        phone_proof=phone_proof,
        followup=loop.followup,
    )
    telegram = telegram_wiring.channel_from_settings(settings, conversations=conversations, work_orders=work_orders)
    if telegram is not None:
        desk_wiring.registry.register(telegram, prefix="tg")  # agent replies to tg: conversations go out here
    speech = create_speech_to_text(settings)  # nothing loaded yet; warmed up in the lifespan
    web_voice = VoiceMessages(speech, decode_upload, max_bytes=settings.max_frame_bytes * 3 // 4)
    phone = PhoneWiring(
        settings, conversations, speech, gazetteer, desk_wiring.registry, outbound=outbound_calls
    )  # AudioSocket, /ws/media
    if telegram is not None:  # voice notes through the same recognizer; spoken replies through the phone's TTS
        speak = make_speak(phone.tts, settings.tts_rate) if settings.telegram_voice_replies else None
        telegram.use_voice(speech, decode_upload, speak)
    # Who-questions (找哪个部门 / 归谁管) are answered with the unit the dispatch rule would pick.
    referrals = Referrals(classifier.predict, catalog, gazetteer, units.unit_for)
    kb = kb_wiring.knowledge_base_from_settings(settings, db, referrer=referrals.refer_json)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await asyncio.to_thread(init_db, db)
        kb_watcher = await kb_wiring.start(kb, settings)
        await desk_wiring.start()
        await web.start()
        if speech.available():
            await speech.warm_up()
        await phone.start()
        if telegram is not None:
            await telegram.start()
        await loop.start()
        log.info(
            "gateway ready: rasa=%s actions=%s", ",".join(settings.rasa_base_urls), settings.action_server_base_url
        )
        yield
        await loop.stop()
        await kb_wiring.stop(kb_watcher)
        if telegram is not None:
            await telegram.stop()
        await web.stop()
        await phone.stop()
        await speech.aclose()
        await desk_wiring.stop()
        await http.aclose()
        db.dispose()

    app = FastAPI(title="12345 Hotline Gateway", lifespan=lifespan)
    app.add_middleware(SecurityHeaders, frame_ancestors=widget_origins(settings.widget_origins))
    # What the module-level routers' dependencies read (api/deps.py).
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.router = conversations
    app.state.telegram = telegram  # None when off; its send() delivers agent replies to tg: conversations
    app.state.work_orders = work_orders
    app.state.catalog = catalog
    app.state.category_of = category_of
    app.state.unit_of = units.public
    app.state.phone_proof = phone_proof
    app.state.gazetteer = gazetteer
    app.state.kb = kb
    app.state.intent_of = engine.parse  # /api/classify asks the dialogue engine about short turns
    app.state.request_type_of = request_types.decide
    app.state.classify_limit = KeyedBuckets(settings.classify_burst, settings.classify_per_s)
    app.state.open311_posts = KeyedBuckets(settings.open311_post_burst, settings.open311_post_per_s)
    app.state.health_checks = {  # /healthz, in this order
        "rasa": engine.health,
        "action_server": partial(action_server_health, http, settings),
        "database": partial(database_health, db),
        "agent_desk": desk_wiring.health,
        "telegram": partial(telegram_wiring.health, telegram),
        "knowledge_base": kb.health,
        "phone": phone.health,
        "speech_recognition": phone.speech_health,
    }
    limits = ChatLimits(
        settings.chat_burst,
        settings.chat_per_s,
        settings.chat_address_burst,
        settings.chat_address_per_s,
        settings.max_frame_bytes,
    )
    greeting = load_greeting(ROOT_DIR / "bot" / "domain")
    app.state.web_chat = WebChat(conversations, web, settings.max_text_chars, web_voice, limits, greeting)
    app.include_router(chat_socket.router)  # /ws/chat
    # Read-aloud for the web page, through the phone's TTS chain (one prompt cache).
    app.state.tts = phone.tts
    app.include_router(speech_route.router)
    desk_wiring.include(app)
    include_unit_console(app)  # /unit
    include_dashboard(app)  # /dashboard
    loop.include(app, desk_wiring.auth.actor_dependency(settings.api_key_set))
    phone.include(app)
    if telegram is not None and telegram.mode == "webhook":
        app.include_router(telegram_webhook.router)
    app.include_router(open311.router)
    app.include_router(tickets_routes.router)
    app.include_router(classify_route.router)
    app.include_router(kb_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(gateway_routes.router)  # /, /favicon.ico, /healthz, /metrics
    return app
