# animerec: the Discord bot, its SQLite store and its models in one container (or one shard of several
# on PostgreSQL: deploy/docker-compose.yml, docs/deploy.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANIMEREC_DATA_DIR=/data \
    NUMBA_CACHE_DIR=/data/numba-cache

WORKDIR /app
# Editable install: recsys finds the bundled data/ beside it. annoy builds from source, so a
# compiler is installed for the build and dropped afterwards to keep the image slim.
COPY pyproject.toml ./
COPY recsys ./recsys
COPY bot ./bot
COPY data ./data
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ \
    && pip install -e '.[postgres]' \
    && apt-get purge -y g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home animerec \
    && mkdir -p /data /models && chown animerec /data /models

USER animerec
# The SQLite database, the published models and the heartbeat live here: keep it across upgrades.
VOLUME ["/data"]

# Fails when the bot has not been connected to Discord for 90 s (see bot/health.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-m", "bot", "--healthcheck"]

CMD ["python", "-m", "bot"]
