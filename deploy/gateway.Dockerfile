# syntax=docker/dockerfile:1
# Gateway runtime (Python 3.11): web chat, agent console, Telegram, phone, APIs. Build from the
# repository root:  docker build -f deploy/gateway.Dockerfile -t hotline-gateway .
# Runs `hotline serve` (one gateway process); Rasa and the action server are the engine image.

# The dashboard's charting library from npm, pinned by channels/dashboard/assets/package-lock.json.
FROM node:20-bookworm-slim AS dashboard-assets
WORKDIR /src
COPY scripts/build-dashboard-assets.sh scripts/
COPY channels/dashboard/assets/package.json channels/dashboard/assets/package-lock.json channels/dashboard/assets/
RUN mkdir -p channels/dashboard/static && scripts/build-dashboard-assets.sh

FROM python:3.11-slim
# espeak-ng: offline speech synthesis (voice/tts/espeak_provider.py); sox: the phone channel's audio
# tools. Voice messages are decoded by PyAV, whose wheel brings its own FFmpeg libraries.
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng sox ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 hotline
WORKDIR /app
COPY requirements/gateway.txt requirements/
RUN pip install -r requirements/gateway.txt
COPY --chown=hotline:hotline . .
COPY --from=dashboard-assets --chown=hotline:hotline /src/channels/dashboard/static/vendor channels/dashboard/static/vendor
RUN pip install --no-deps -e .
USER hotline
# Models the gateways only load at start (category classifier, request types, emergency detector
# vectors, knowledge-base passage vectors): built once here instead of by every replica.
RUN python deploy/gateway/prepare_caches.py
# The Vosk speech model (sha256-checked). --build-arg FETCH_SPEECH_MODEL=0 skips it (no speech
# recognition then; /healthz reports it), e.g. where the build cannot reach the model's host.
ARG FETCH_SPEECH_MODEL=1
RUN if [ "$FETCH_SPEECH_MODEL" = 1 ]; then hotline models fetch; fi
ENV HOTLINE_HOST=0.0.0.0 HOTLINE_PORT=8000
EXPOSE 8000 9092
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["hotline", "serve"]
