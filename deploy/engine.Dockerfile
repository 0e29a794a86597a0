# syntax=docker/dockerfile:1
# Engine runtime (Python 3.10): Rasa 3.6 and the action server in one image, started as
# `entrypoint.py rasa` or `entrypoint.py actions`. Build from the repository root:
#   docker build -f deploy/engine.Dockerfile -t hotline-engine .
# The Rasa model is trained here, from the same inputs and command as runtime/training.py.
FROM python:3.10-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
RUN useradd --create-home --uid 10001 hotline
WORKDIR /app
COPY requirements/engine.txt requirements/
RUN pip install -r requirements/engine.txt
COPY --chown=hotline:hotline config.yml credentials.yml endpoints.yml endpoints.scale-out.yml ./
COPY --chown=hotline:hotline bot bot
COPY --chown=hotline:hotline nlu nlu
COPY --chown=hotline:hotline deploy/engine/entrypoint.py deploy/engine/entrypoint.py
USER hotline
RUN rasa train --config config.yml --domain bot/domain --data bot/data nlu/data \
      --out models --fixed-model-name engine \
 && test -f models/engine.tar.gz
EXPOSE 5005 5055
ENTRYPOINT ["python", "deploy/engine/entrypoint.py"]
CMD ["rasa"]
